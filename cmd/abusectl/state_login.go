package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mailtrust/abusescan/internal/login"
	"github.com/mailtrust/abusescan/internal/outbound"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// loginView is what `state show login ACCOUNT` prints: the account's login
// history as the login rules judge against it. It holds no IP address.
type loginView struct {
	AccountID   string      `json:"accountId"`
	Version     int64       `json:"version"`
	Expires     string      `json:"expires,omitempty"`
	FirstLogin  string      `json:"firstLogin"`
	NewestLogin string      `json:"newestLogin"`
	Logins      int         `json:"loginsWhileLearning"`
	Places      []placeView `json:"places"`
	Networks    int         `json:"networks"`
	Devices     int         `json:"devices"`
	Countries   []string    `json:"countries"`
	Signup      *signupView `json:"signup,omitempty"`
	Raised      raisedView  `json:"raised"`
}

type placeView struct {
	Country   string  `json:"country"`
	Lat       float32 `json:"lat"`
	Lon       float32 `json:"lon"`
	RadiusKm  uint16  `json:"radiusKm"`
	City      bool    `json:"city"`
	FirstSeen string  `json:"firstSeen"`
	LastSeen  string  `json:"lastSeen"` // stored to the refresh period (6 h)
}

type signupView struct {
	CreatedAt      string `json:"createdAt"`
	ClaimedCountry string `json:"claimedCountry,omitempty"`
	Country        string `json:"country,omitempty"`
	Anonymous      bool   `json:"anonymous"`
	Score          int    `json:"score"`
}

type raisedView struct {
	Score int `json:"score"`
	Rules int `json:"rules"`
}

func minuteTime(m int64) string {
	if m == 0 {
		return ""
	}
	return time.Unix(m*60, 0).UTC().Format(time.RFC3339)
}

// messageView is what `state show message ACCOUNT` prints: the account's
// outbound history as the message rules judge against it. It holds no
// address, domain or content: counts and times.
type messageView struct {
	AccountID        string     `json:"accountId"`
	Version          int64      `json:"version"`
	Expires          string     `json:"expires,omitempty"`
	NewestMessage    string     `json:"newestMessage"`
	Messages         int        `json:"messages"`
	TurnedAway       int        `json:"turnedAway"`
	RecipientDomains int        `json:"recipientDomains"` // remembered, as keyed hashes
	Raised           raisedView `json:"raised"`
}

// showMessages prints an account's outbound history.
func showMessages(ctx context.Context, st store, account string, stdout io.Writer, indent string) error {
	key := pipeline.MessageKey(account)
	recs, err := st.Records(ctx, []string{key}, true)
	if err != nil {
		return fmt.Errorf("read message history: %w", err)
	}
	r, ok := recs[key]
	if !ok {
		return fmt.Errorf("no message history for account %s: no scored message, not a new mailbox, or past its 30-day retention", Escape(account))
	}
	h, err := outbound.DecodeHistory(r.Data)
	if err != nil {
		return fmt.Errorf("message history of %s: %w", Escape(account), err)
	}
	v := messageView{AccountID: account, Version: r.Version, NewestMessage: minuteTime(h.Newest),
		Messages: h.Messages, TurnedAway: h.TurnedAway, RecipientDomains: len(h.Domains),
		Raised: raisedView{Score: h.Raised, Rules: len(h.RaisedRules)}}
	if r.Expires > 0 {
		v.Expires = time.Unix(r.Expires, 0).UTC().Format(time.RFC3339)
	}
	return WriteJSON(stdout, v, indent)
}

// showLogin prints an account's login history.
func showLogin(ctx context.Context, st store, account string, stdout io.Writer, indent string) error {
	key := pipeline.LoginKey(account)
	recs, err := st.Records(ctx, []string{key}, true)
	if err != nil {
		return fmt.Errorf("read login history: %w", err)
	}
	r, ok := recs[key]
	if !ok {
		return fmt.Errorf("no login history for account %s: never signed in, or past its 60-day retention", Escape(account))
	}
	s, err := login.Decode(r.Data)
	if err != nil {
		return fmt.Errorf("login history of %s: %w", Escape(account), err)
	}
	v := loginView{
		AccountID: account, Version: r.Version,
		FirstLogin: minuteTime(s.First), NewestLogin: minuteTime(s.Newest), Logins: int(s.Logins),
		Networks: len(s.Nets), Devices: len(s.Devices), Countries: s.Countries,
		Raised: raisedView{Score: int(s.Raised), Rules: len(s.RaisedRules)},
		Places: []placeView{},
	}
	if r.Expires > 0 {
		v.Expires = time.Unix(r.Expires, 0).UTC().Format(time.RFC3339)
	}
	for _, p := range s.Places {
		v.Places = append(v.Places, placeView{Country: p.Country, Lat: p.Lat, Lon: p.Lon, RadiusKm: p.RadiusKm,
			City: p.City, FirstSeen: minuteTime(p.First), LastSeen: minuteTime(p.Last)})
	}
	if s.Signup.Seen {
		v.Signup = &signupView{CreatedAt: minuteTime(s.Signup.Created), ClaimedCountry: s.Signup.Claimed,
			Country: s.Signup.Country, Anonymous: s.Signup.Anonymous, Score: int(s.Signup.Score)}
	}
	return WriteJSON(stdout, v, indent)
}
