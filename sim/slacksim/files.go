// The three-step file upload: get an upload URL, POST to it, complete.

package slacksim

import "encoding/json"
import "fmt"
import "io"
import "mime"
import "mime/multipart"
import "net/http"
import "strconv"
import "strings"

func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request, c *Call) {
	name := c.Fields.Get("filename")
	length, err := strconv.Atoi(c.Fields.Get("length"))
	if name == "" || err != nil || length <= 0 {
		s.fail(w, c, "invalid_arguments")
		return
	}
	s.mu.Lock()
	id := s.nextID("F")
	s.files[id] = &File{ID: id, Name: name, Length: length}
	s.fileOrder = append(s.fileOrder, id)
	s.mu.Unlock()
	// The upload URL is on this server's own host: slack-go sends the token
	// only to Slack's domains or to the configured API host.
	s.ok(w, c, reply{"upload_url": scheme(r) + "://" + r.Host + "/upload/" + id, "file_id": id})
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// upload receives the file bytes, multipart (as slack-go sends them) or raw.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c := Call{Time: s.o.Now(), Method: "upload", Path: r.URL.Path, Header: cleanHeader(r.Header), Token: token(r)}
	if s.applyFault(w, r, &c) {
		return
	}
	var data []byte
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" || p.FileName() != "" {
				data, _ = io.ReadAll(io.LimitReader(p, 64<<20))
			}
		}
	} else {
		data, _ = io.ReadAll(io.LimitReader(r.Body, 64<<20))
	}
	c.File = data
	s.mu.Lock()
	f := s.files[id]
	if f != nil {
		f.Content, f.Uploaded = data, true
	}
	s.mu.Unlock()
	if f == nil {
		c.Status = http.StatusNotFound
		s.record(c)
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	c.Status = 200
	s.record(c)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(data))
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, c *Call) {
	var files []struct{ ID, Title string }
	if err := json.Unmarshal([]byte(c.Fields.Get("files")), &files); err != nil || len(files) == 0 {
		s.fail(w, c, "invalid_arguments")
		return
	}
	s.mu.Lock()
	ch := c.Fields.Get("channel_id")
	if ch == "" {
		ch = strings.Split(c.Fields.Get("channels"), ",")[0]
	}
	id := s.channelID(ch)
	thread := c.Fields.Get("thread_ts")
	if ch != "" && id == "" {
		s.mu.Unlock()
		s.fail(w, c, "channel_not_found")
		return
	}
	if id != "" && thread != "" && s.findMessage(id, thread) == nil {
		s.mu.Unlock()
		s.fail(w, c, "thread_not_found")
		return
	}
	var shared []File
	var summary []reply
	for _, fs := range files {
		f := s.files[fs.ID]
		if f == nil || !f.Uploaded {
			s.mu.Unlock()
			s.fail(w, c, "file_not_found")
			return
		}
		if len(f.Content) != f.Length {
			s.mu.Unlock()
			s.fail(w, c, "file_size_mismatch")
			return
		}
		f.Title = fs.Title
		if f.Title == "" {
			f.Title = f.Name
		}
		f.Channel, f.Thread, f.Shared = id, thread, id != ""
		shared = append(shared, *f)
		summary = append(summary, reply{"id": f.ID, "title": f.Title})
	}
	if id != "" {
		// Sharing a file posts a message carrying it, like Slack does.
		m := &Message{Channel: id, TS: s.nextTS(), ThreadTS: thread, Text: c.Fields.Get("initial_comment"), User: s.o.BotUserID, Files: shared}
		s.messages = append(s.messages, m)
	}
	s.mu.Unlock()
	s.ok(w, c, reply{"files": summary})
}
