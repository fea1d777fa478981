// The workspace's state: timestamps, ids, channels, messages and the per-channel rate limit.

package slacksim

import "fmt"
import "sort"
import "strings"
import "time"

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// nextTS returns a Slack-style, strictly increasing message timestamp.
func (s *Server) nextTS() string {
	now := s.o.Now()
	if !now.After(s.lastTS) {
		now = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// channelID resolves an id, a name or "#name"; "" if unknown. Caller holds mu.
func (s *Server) channelID(ch string) string {
	name := strings.TrimPrefix(ch, "#")
	for _, c := range s.o.Channels {
		if c.ID == ch || c.Name == name {
			return c.ID
		}
	}
	return ""
}

func (s *Server) channel(id string) Channel {
	for _, c := range s.o.Channels {
		if c.ID == id {
			return c
		}
	}
	return Channel{}
}

func (s *Server) findMessage(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral {
			return m
		}
	}
	return nil
}

// sortedMessages is used by Transcript; caller holds mu.
func (s *Server) sortedMessages(id string) []*Message {
	var out []*Message
	for _, m := range s.messages {
		if m.Channel == id {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}

// allow takes a token from the channel's bucket, or says how long to wait.
func (s *Server) allow(channel string) (bool, time.Duration) {
	if s.o.RateLimit.Off {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now() // real time: throttling is about the client's real pace
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: float64(s.o.RateLimit.Burst), last: now}
		s.buckets[channel] = b
	}
	iv := s.o.RateLimit.Interval
	b.tokens = min(float64(s.o.RateLimit.Burst), b.tokens+float64(now.Sub(b.last))/float64(iv))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(iv))
}
