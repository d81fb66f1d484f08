package review

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
	textsafe "github.com/mailtrust/abusescan/internal/visible"
)

// page is what every template gets: the caller, shown in the header, and
// the page's own data.
type page struct {
	Caller string
	Data   any
}

type listPage struct {
	Query      listQuery
	Items      []queue.Item
	Total      int
	Capped     bool
	From, To   int
	Prev, Next string
	Statuses   []queue.Status
	Actions    []queue.Action
}

type itemPage struct {
	Item      queue.Item
	History   []queue.Change
	Decisions []decision
	Token     string
	Done      queue.Status
	Conflict  *conflictNote
}

type conflictNote struct{ Shown, Now int64 }

type problemPage struct {
	Code        int
	Title, Text string
}

func (h *Handler) itemPage(w http.ResponseWriter, r *http.Request, it queue.Item, done string) itemPage {
	var allowed []decision
	for _, d := range decisions {
		// queue.Decide is the judge of what is allowed; the form offers
		// only what it would accept.
		if _, err := queue.Decide(it, d.To, "-", "-", it.UpdatedAt); err == nil {
			allowed = append(allowed, d)
		}
	}
	p := itemPage{Item: it, History: it.History, Decisions: allowed}
	if len(allowed) > 0 {
		p.Token = h.token(h.session(w, r), h.opts.Caller(r))
	}
	if s := queue.Status(done); s.Valid() && s == it.Status {
		p.Done = s
	}
	return p
}

// visible returns s with every character that is not graphic written as
// an escape (visible.Escape): account ids and reasons are attacker text,
// and a right-to-left override would make one read as another.
// html/template then escapes what is left for HTML.
func visible(s string) string { return textsafe.Escape(s) }

// itemLink is the address of an item's page.
func itemLink(id string) string { return "/item?id=" + url.QueryEscape(id) }

// pageLink is the address of a page of the list, "" when there is none.
func pageLink(q listQuery, n int, ok bool) string {
	if !ok {
		return ""
	}
	v := url.Values{}
	v.Set("status", string(q.Status))
	if q.Action != "" {
		v.Set("action", string(q.Action))
	}
	v.Set("page", strconv.Itoa(n))
	return "/?" + v.Encode()
}

var funcs = template.FuncMap{
	"visible": visible,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"topReason": func(it queue.Item) *queue.Reason {
		if len(it.Reasons) == 0 {
			return nil
		}
		return &it.Reasons[0]
	},
	"more": func(it queue.Item) int { return max(len(it.Reasons)-1, 0) },
	"sel":  func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	"sorted": func(ids []string) []string {
		return slices.Sorted(slices.Values(ids))
	},
}
