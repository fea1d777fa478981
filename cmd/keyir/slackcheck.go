package main

import "context"
import "errors"
import "fmt"
import "regexp"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/transport"

// slackCheck is what auth.test and conversations.info said about a bot
// token and the channels keyir would post to. Used by the run's preflight,
// doctor and serve's start, so the three agree on what "works" means.
type slackCheck struct {
	Team   string // the workspace, when the token was accepted
	TeamID string
	// TokenErr is the token's problem: refused (invalid_auth, not_authed,
	// account_inactive, token_revoked) or Slack unreachable.
	TokenErr error
	// Channels maps each channel asked about to its problem ("" = found).
	Channels map[string]string
}

// slackChannelIDRE is the shape of a conversation id: conversations.info
// looks channels up by id, not by name.
var slackChannelIDRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// checkSlack asks Slack (apiURL ends in "/") whether token is accepted and
// each channel exists and the bot can see it. It never posts anything.
func checkSlack(ctx context.Context, apiURL, token string, channels []string) slackCheck {
	res := slackCheck{Channels: map[string]string{}}
	if apiURL == "" {
		apiURL = "https://slack.com/api/"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	api := slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(transport.HTTPClient(10*time.Second, nil)))
	at, err := api.AuthTestContext(ctx)
	if err != nil {
		res.TokenErr = slackProblem(err, "SLACK_BOT_TOKEN")
		return res
	}
	res.Team, res.TeamID = at.Team, at.TeamID
	for _, ch := range channels {
		if ch == "" {
			continue
		}
		id := strings.TrimPrefix(ch, "#")
		_, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		switch {
		case err == nil:
			res.Channels[ch] = ""
		case slackErrCode(err) == "channel_not_found" && !slackChannelIDRE.MatchString(id):
			res.Channels[ch] = fmt.Sprintf("Slack found no channel %q: Slack looks channels up by id; give the channel's id (C…, from the channel's details) instead of its name", ch)
		case slackErrCode(err) == "channel_not_found":
			res.Channels[ch] = fmt.Sprintf("Slack found no channel %s the bot can see: check the id, and invite the bot to a private channel", ch)
		default:
			res.Channels[ch] = slackProblem(err, "SLACK_BOT_TOKEN").Error()
		}
	}
	return res
}

// slackErrCode is Slack's error code ("invalid_auth"), or "".
func slackErrCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	// slack-go returns some codes as plain errors carrying the code only.
	if s := err.Error(); !strings.ContainsAny(s, " :") {
		return s
	}
	return ""
}

// slackProblem says in words what a Slack error means for the operator,
// naming whose credential it is.
func slackProblem(err error, tokenVar string) error {
	switch code := slackErrCode(err); code {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		//lint:ignore ST1005 the message is shown as is; Slack is a name
		return fmt.Errorf("Slack refused the bot token (%s): %s; set a valid bot token (xoxb-…)", tokenVar, code)
	case "missing_scope":
		return fmt.Errorf("the bot token (%s) lacks a scope: %s; add channels:read and chat:write to the Slack app", tokenVar, code)
	case "":
		//lint:ignore ST1005 the message is shown as is; Slack is a name
		return fmt.Errorf("Slack unreachable: %v", err)
	default:
		//lint:ignore ST1005 the message is shown as is; Slack is a name
		return fmt.Errorf("Slack answered %s", code)
	}
}
