package sendgridsim

import "encoding/json"
import "fmt"
import "net/http"
import "strings"

// mailSend models POST /v3/mail/send: it validates the parts of the body SendGrid requires,
// records accepted mail in State.Outbox, answers 202 with X-Message-Id, or 200 in sandbox mode.
func (s *Server) mailSend(c *call) response {
	type addr struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	var req struct {
		Personalizations []struct {
			To      []addr `json:"to"`
			Subject string `json:"subject"`
		} `json:"personalizations"`
		From       *addr  `json:"from"`
		Subject    string `json:"subject"`
		TemplateID string `json:"template_id"`
		Content    []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"content"`
		MailSettings struct {
			SandboxMode struct {
				Enable json.RawMessage `json:"enable"`
			} `json:"sandbox_mode"`
		} `json:"mail_settings"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return errResp(http.StatusBadRequest, nil, "Bad Request")
	}
	var errs []apiError
	bad := func(field, msg string) { errs = append(errs, apiError{Field: strp(field), Message: msg}) }

	var to []string
	if len(req.Personalizations) == 0 {
		bad("personalizations", "The personalizations field is required and must have at least one personalization.")
	}
	everySubject := len(req.Personalizations) > 0
	for i, p := range req.Personalizations {
		if len(p.To) == 0 {
			bad(fmt.Sprintf("personalizations.%d.to", i), "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
		}
		for j, a := range p.To {
			if !validEmail(a.Email) {
				bad(fmt.Sprintf("personalizations.%d.to.%d.email", i, j), "Does not contain a valid address.")
			}
			to = append(to, a.Email)
		}
		everySubject = everySubject && p.Subject != ""
	}
	if req.From == nil || !validEmail(req.From.Email) {
		bad("from", "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.")
	}
	if req.TemplateID == "" {
		if req.Subject == "" && !everySubject {
			bad("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.")
		}
		if len(req.Content) == 0 {
			bad("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.")
		}
		for i, ct := range req.Content {
			if ct.Type == "" || ct.Value == "" {
				bad(fmt.Sprintf("content.%d", i), "The content value must be a string at least one character in length, with a type.")
			}
		}
	}
	sandbox := false
	if raw := req.MailSettings.SandboxMode.Enable; len(raw) > 0 {
		if err := json.Unmarshal(raw, &sandbox); err != nil {
			bad("mail_settings.sandbox_mode.enable", "The sandbox mode enable param should be a boolean value.")
		}
	}
	if len(errs) > 0 {
		return jsonResp(http.StatusBadRequest, map[string][]apiError{"errors": errs})
	}

	m := SentMail{Time: c.now, APIKeyID: c.key.ID, Sandbox: sandbox, To: to, Subject: req.Subject, Body: c.body}
	if req.From != nil {
		m.From = req.From.Email
	}
	if m.Subject == "" && len(req.Personalizations) > 0 {
		m.Subject = req.Personalizations[0].Subject
	}
	if sandbox {
		s.st.send(m)
		return response{Status: http.StatusOK}
	}
	m.MessageID = s.randID(keyIDLen)
	s.st.send(m)
	return response{Status: http.StatusAccepted, Header: http.Header{"X-Message-Id": {m.MessageID}}}
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " <>\t\n")
}
