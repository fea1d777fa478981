package chatops

import "context"
import "errors"
import "log"

import "github.com/slack-go/slack"
import "github.com/slack-go/slack/socketmode"

// RunSocketMode is the Socket Mode adapter: it connects with the app-level
// token (no inbound port, no signing secret), acks every envelope at once
// (for a slash command the ack payload is the reply), hands the request to
// the core, and drains the client's events until ctx ends.
func (s *Server) RunSocketMode(ctx context.Context, appToken string) error {
	s.red.Add(appToken)
	api := slack.New(s.o.BotToken, slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(s.o.SlackAPIURL),
		slack.OptionHTTPClient(s.o.HTTPClient))
	client := socketmode.New(api, socketmode.OptionLog(log.New(redactWriter{s}, "socketmode: ", 0)))
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case evt, ok := <-client.Events:
			if !ok {
				return nil
			}
			switch evt.Type {
			case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				s.acks.begin()                                           // owed from here: ended by handleEnvelope
				s.pool.do(func() { s.handleEnvelope(ctx, client, evt) }) // a goroutine whose stack has grown
			case socketmode.EventTypeInvalidAuth:
				s.logf("socket mode: invalid app token")
			case socketmode.EventTypeConnected:
				s.logf("socket mode: connected")
			}
		}
	}
}

func (s *Server) handleEnvelope(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	defer s.acks.end()
	if evt.Request == nil {
		return
	}
	req := *evt.Request
	// A redelivered envelope (retry_attempt > 0) is acked again, not handled
	// again. The record's commit is waited for before anything is acked:
	// for a slash command, together with the command's own writes
	// (Command.admitted); for the rest, at once.
	admitted, err := s.replay.admitQueued(envelopeKey(req.EnvelopeID), -1)
	if err == nil && evt.Type != socketmode.EventTypeSlashCommand {
		err = admitted()
	}
	if err != nil {
		if !errors.Is(err, errReplayed) {
			s.unackedEnvelope(err)
			return
		}
		s.AuditVerificationFailure("socket", "replayed envelope", "")
		_ = client.Ack(req)
		return
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		var reply Reply
		if ok {
			reply, err = s.HandleCommand(ctx, Command{Transport: "socket", Team: cmd.TeamID, APIAppID: cmd.APIAppID,
				User: cmd.UserID, Channel: cmd.ChannelID, Command: cmd.Command, Text: cmd.Text, ResponseURL: cmd.ResponseURL,
				admitted: admitted})
		}
		if rerr := admitted(); rerr != nil {
			s.unackedEnvelope(rerr)
			return
		}
		if !ok || err != nil {
			_ = client.Ack(req)
			return
		}
		_ = client.Ack(req, reply)
	case socketmode.EventTypeInteractive:
		// Ack first: the decision and the message update follow.
		_ = client.Ack(req)
		s.handleInteraction(ctx, evt.Data, req.Payload)
	default:
		_ = client.Ack(req)
	}
}

// handleInteraction is apart from handleEnvelope for the stack: a
// slack.InteractionCallback is kilobytes, and held in handleEnvelope's
// frame (8 KiB) it made every envelope's new goroutine copy its stack to
// a larger one before doing anything, slash commands included.
//
//go:noinline
func (s *Server) handleInteraction(ctx context.Context, data any, payload []byte) {
	cb, ok := data.(slack.InteractionCallback)
	if !ok {
		return
	}
	_ = s.HandleAction(ctx, actionOf("socket", cb, payload))
}

type redactWriter struct{ s *Server }

func (w redactWriter) Write(p []byte) (int, error) {
	_, err := w.s.o.Log.Write(w.s.red.Bytes(p))
	return len(p), err
}
