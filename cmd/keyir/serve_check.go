package main

import "context"
import "errors"
import "fmt"
import "strings"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/report"

// checkServeSlack runs before keyir serve answers anything: Slack accepts
// the bot token, the token is the configured workspace's, and the bot sees
// every channel it answers and posts in. A refused token, another
// workspace or a channel Slack does not know is the configuration's to fix
// (exit 2, each problem named with its config key); Slack unreachable is
// exit 1 (nothing to fix in the file; start again later).
func (a *app) checkServeSlack(ctx context.Context, apiURL, bot, config string, cfg *chatops.Config) error {
	channels := append([]string{}, cfg.AllowedChannels...)
	if cfg.DrillChannel != "" {
		channels = append(channels, cfg.DrillChannel)
	}
	res := checkSlack(ctx, apiURL, bot, channels)
	if res.TokenErr != nil {
		if strings.HasPrefix(res.TokenErr.Error(), "Slack unreachable") {
			fmt.Fprintf(a.errOut, "keyir serve: cannot start: %v\n", res.TokenErr)
			return &exitError{code: report.ExitCouldNotRun, err: res.TokenErr, reported: true}
		}
		return usageErr(fmt.Errorf("serve cannot start: %w", res.TokenErr))
	}
	var probs []string
	if res.TeamID != "" && cfg.TeamID != "" && res.TeamID != cfg.TeamID {
		probs = append(probs, fmt.Sprintf("%s: team_id is %s, but SLACK_BOT_TOKEN belongs to workspace %s (%s)", config, cfg.TeamID, res.TeamID, res.Team))
	}
	for _, ch := range cfg.AllowedChannels {
		if msg := res.Channels[ch]; msg != "" {
			probs = append(probs, fmt.Sprintf("%s: allowed_channels: %s", config, msg))
		}
	}
	if msg := res.Channels[cfg.DrillChannel]; cfg.DrillChannel != "" && msg != "" {
		probs = append(probs, fmt.Sprintf("%s: drill_channel: %s", config, msg))
	}
	if len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintf(a.errOut, "keyir serve: cannot start: %s\n", p)
		}
		return &exitError{code: report.ExitUsage, err: errors.New("serve configuration does not match Slack"), reported: true}
	}
	fmt.Fprintf(a.errOut, "keyir serve: Slack workspace %s accepts the bot token; channels %s found\n", res.Team, strings.Join(channels, ", "))
	return nil
}
