package chatops

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// Slack calls that every part of serve shares: waiting out Slack's rate
// limit, and a plain threaded post.

// retry calls fn, waiting out Slack's rate limiting up to three times.
func (s *Server) retry(ctx context.Context, fn func() error) error {
	var err error
	for i := 0; i < 4; i++ {
		err = fn()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(rl.RetryAfter, 10*time.Second)):
		}
	}
	return err
}

func (s *Server) post(ctx context.Context, channel, thread, text string) {
	err := s.retry(ctx, func() error {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl()}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		_, _, err := s.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		s.logf("posting to %s: %v", channel, err)
	}
}
