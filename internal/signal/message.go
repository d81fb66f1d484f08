package signal

import (
	"github.com/mailtrust/abusescan/internal/ipinfo"
)

// Positions of the message signals.
const (
	mYoung = iota
	mAgeDays
	mClaimedCountry
	mClaimedZone
	mSignupAnon
	mSignupScore
	mOriginIP
	mOriginKnown
	mOriginCountry
	mOriginASOrg
	mOriginHosting
	mOriginVPN
	mOriginTor
	mOriginAnonymous
	mOriginAbroad
	mDateOffset
	mZoneOffset
	mClockGap
	mFromNameDiffers
	mRecipients
	mRecipientDomains
	mFanOut
	mAttachments
	mImages
	mSharedAttachment
	mSharedImage
	mSharedText
	mPopular
	mTurnedAway
	mMessages
	nMessage
)

var messageDefs = [nMessage]Def{
	mYoung:            {"young", Bool, "the scanner saw the account's signup less than 30 days ago"},
	mAgeDays:          {"account_age_days", Int, "days since the signup the scanner saw (-1 if it saw none)"},
	mClaimedCountry:   {"claimed_country", String, "country chosen in the signup form (\"\" if unknown)"},
	mClaimedZone:      {"claimed_zone", String, "time zone the signup form reported (\"\" if unknown)"},
	mSignupAnon:       {"signup_anonymous", Bool, "the account signed up through an anonymizer (VPN, hosting, Tor, proxy)"},
	mSignupScore:      {"signup_score", Int, "the score the account's signup reached (0 if unknown)"},
	mOriginIP:         {"origin_ip", String, "the sending client's address: X-Originating-IP, else the first Received hop (\"\" if none or not public)"},
	mOriginKnown:      {"origin_known", Bool, "the message names a public sending address"},
	mOriginCountry:    {"origin_country", String, "ISO country of origin_ip (\"\" if unknown)"},
	mOriginASOrg:      {"origin_asn_org", String, "organisation of origin_ip's autonomous system"},
	mOriginHosting:    {"origin_hosting", Bool, "origin_ip belongs to a hosting / datacenter network"},
	mOriginVPN:        {"origin_vpn", Bool, "origin_ip is a commercial VPN exit"},
	mOriginTor:        {"origin_tor", Bool, "origin_ip is a Tor exit node"},
	mOriginAnonymous:  {"origin_anonymous", Bool, "origin_ip is any anonymizer: hosting, VPN, Tor, proxy"},
	mOriginAbroad:     {"origin_abroad", Bool, "origin_ip is a real place (no anonymizer) outside the country claimed at signup"},
	mDateOffset:       {"date_offset", String, "the UTC offset written in the Date header, e.g. +09:00 (\"\" if none)"},
	mZoneOffset:       {"zone_offset", String, "the UTC offset of the claimed time zone at the message's date (\"\" if unknown)"},
	mClockGap:         {"clock_gap_hours", Int, "hours between date_offset and zone_offset (-1 if either is unknown)"},
	mFromNameDiffers:  {"from_name_differs", Bool, "the From display name is not the display name the account signed up with (both known)"},
	mRecipients:       {"recipients", Int, "recipient addresses of the message (To, Cc, Bcc)"},
	mRecipientDomains: {"recipient_domains", Int, "distinct recipient domains of the message"},
	mFanOut:           {"recipient_domains_24h", Int, "distinct recipient domains the account sent to in the last 24 hours, this message's included"},
	mAttachments:      {"attachments", Int, "attachments and inline parts of the message"},
	mImages:           {"images", Int, "images of the message that were hashed"},
	mSharedAttachment: {"shared_attachment", Int, "other new mailboxes that sent one of this message's attachments (content hash), unless the content is popular"},
	mSharedImage:      {"shared_image", Int, "other new mailboxes that sent a near-identical image (perceptual hash), unless popular"},
	mSharedText:       {"shared_text", Int, "other new mailboxes that sent a near-identical text (SimHash), unless popular"},
	mPopular:          {"popular_content", Bool, "some content of the message is carried by 3 or more established senders, so links nobody"},
	mTurnedAway:       {"turned_away", String, "why the message was turned away unparsed (too_large, too_many_parts, too_deep, headers_too_large, ...; \"\" if parsed)"},
	mMessages:         {"messages_sent", Int, "messages of the account the scanner has applied, this one included"},
}

// NewMessageCatalog builds the catalog of message signals: what message
// rules are written in.
func NewMessageCatalog() *Catalog {
	c := &Catalog{index: map[string]int{}}
	c.defs = append(c.defs, messageDefs[:]...)
	for i, d := range c.defs {
		c.index[d.Name] = i
	}
	return c
}

// MessageInput is everything known about one outbound message when it is
// scored. Offsets are seconds east of UTC.
type MessageInput struct {
	Young          bool
	AgeDays        int // -1: no signup seen
	ClaimedCountry string
	ClaimedZone    string
	SignupAnon     bool
	SignupScore    int

	Origin       string // "" when none or not public
	OriginGeo    ipinfo.Info
	HasDate      bool
	DateOffset   int
	HasZone      bool
	ZoneOffset   int
	NameDiffers  bool
	Recipients   int
	Domains      int
	FanOut       int
	Attachments  int
	Images       int
	SharedAttach int
	SharedImage  int
	SharedText   int
	Popular      bool
	TurnedAway   string
	Messages     int
}

// Message computes the signals of a message over cat, a NewMessageCatalog.
func Message(cat *Catalog, in MessageInput) Set {
	s := Set{cat: cat, vals: make([]any, nMessage)}
	v := s.vals
	g := in.OriginGeo
	v[mYoung] = in.Young
	v[mAgeDays] = int64(in.AgeDays)
	v[mClaimedCountry] = in.ClaimedCountry
	v[mClaimedZone] = in.ClaimedZone
	v[mSignupAnon] = in.SignupAnon
	v[mSignupScore] = int64(in.SignupScore)
	v[mOriginIP] = in.Origin
	v[mOriginKnown] = in.Origin != ""
	v[mOriginCountry] = g.Country
	v[mOriginASOrg] = g.ASOrg
	v[mOriginHosting] = g.Hosting
	v[mOriginVPN] = g.VPN
	v[mOriginTor] = g.Tor
	v[mOriginAnonymous] = g.Anonymous
	v[mOriginAbroad] = in.Origin != "" && !g.Anonymous && g.Country != "" && in.ClaimedCountry != "" && g.Country != in.ClaimedCountry
	v[mDateOffset], v[mZoneOffset], v[mClockGap] = "", "", int64(-1)
	if in.HasDate {
		v[mDateOffset] = offset(in.DateOffset)
	}
	if in.HasZone {
		v[mZoneOffset] = offset(in.ZoneOffset)
	}
	if in.HasDate && in.HasZone {
		gap := in.DateOffset - in.ZoneOffset
		if gap < 0 {
			gap = -gap
		}
		v[mClockGap] = int64(gap / 3600)
	}
	v[mFromNameDiffers] = in.NameDiffers
	v[mRecipients] = int64(in.Recipients)
	v[mRecipientDomains] = int64(in.Domains)
	v[mFanOut] = int64(in.FanOut)
	v[mAttachments] = int64(in.Attachments)
	v[mImages] = int64(in.Images)
	v[mSharedAttachment] = int64(in.SharedAttach)
	v[mSharedImage] = int64(in.SharedImage)
	v[mSharedText] = int64(in.SharedText)
	v[mPopular] = in.Popular
	v[mTurnedAway] = in.TurnedAway
	v[mMessages] = int64(in.Messages)
	return s
}

// offset writes seconds east of UTC as ±hh:mm.
func offset(sec int) string {
	sign := byte('+')
	if sec < 0 {
		sign, sec = '-', -sec
	}
	h, m := sec/3600, sec%3600/60
	return string([]byte{sign, byte('0' + h/10%10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
}
