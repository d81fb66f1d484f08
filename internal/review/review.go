// Package review is the review page: an http.Handler over the suspension
// queue (spec/queue.md) where a person lists the pending items, reads one,
// and releases, dismisses or applies it with a note. abusectl serve runs it
// on loopback, functions/review behind a Lambda function URL with IAM
// authentication; both hand it a store and say who the caller is.
//
// It is safe by construction, because account ids and reasons are attacker
// text: every page is rendered by html/template, every such string is shown
// with its invisible and direction-changing characters escaped and inside
// <bdi>; the pages carry no script at all and a strict Content-Security-Policy;
// every POST needs a same-origin request and a token bound to a
// SameSite=Strict cookie; and a change is written on condition that the
// item is still at the version the page showed, so that a stale page gets a
// conflict and never overwrites a later change.
package review

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// Store is what the page needs of the queue's storage; the embedded and
// DynamoDB stores both have it.
type Store interface {
	QueueItem(ctx context.Context, accountID string) (queue.Item, error)
	ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error)
	PutQueueItems(ctx context.Context, ws []queue.Write) []error
}

// Bounds on what one request reads and accepts.
const (
	// MaxListed is the most items a list reads from the store: the oldest
	// of a status (and action), which the page then orders by action and
	// score. The page says when there are more.
	MaxListed = 1000
	// PageSize is the items shown on one page of the list.
	PageSize = 50
	// MaxNoteBytes bounds a decision's note.
	MaxNoteBytes = 1000
	// maxFormBytes bounds a POST body.
	maxFormBytes = 8 << 10
)

// Options configure a Handler.
type Options struct {
	// Caller returns who makes the request, recorded as the decision's
	// DecidedBy; "" refuses every request (403), since an anonymous
	// decision cannot be audited.
	Caller func(*http.Request) string
	// Key signs the CSRF tokens: at least 32 random bytes. Tokens signed
	// with another key (another process) are refused, and the page asks
	// for a reload.
	Key []byte
	// Hosts, if not empty, are the only Host headers served (host:port as
	// the browser sends it): a server on loopback refuses a name rebound
	// to 127.0.0.1 by another site.
	Hosts []string
	// Now dates decisions; time.Now if nil.
	Now func() time.Time
	// Log receives one line per decision and per failure; discarded if nil.
	Log *slog.Logger
}

// Handler serves the review page.
type Handler struct {
	store Store
	opts  Options
	pages map[string]*template.Template
	mux   *http.ServeMux
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/review.css
var staticFS embed.FS

// contentSecurityPolicy allows nothing but the page's own stylesheet and
// forms posting back to the page: no script, no frame, no base.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New returns the review page over st.
func New(st Store, opts Options) (*Handler, error) {
	if opts.Caller == nil {
		return nil, errors.New("review: no Caller")
	}
	if len(opts.Key) < 32 {
		return nil, fmt.Errorf("review: key of %d bytes, want at least 32", len(opts.Key))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: st, opts: opts, pages: map[string]*template.Template{}}
	for _, name := range []string{"list", "item", "problem"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("review: template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("review: static files: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.list)
	mux.HandleFunc("GET /item", h.item)
	mux.HandleFunc("POST /decide", h.decide)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux = mux
	return h, nil
}

// ServeHTTP sets the security headers of every response, refuses a foreign
// Host and an unknown caller, then routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	// Pages quote addresses and usernames: no cache keeps them.
	hd.Set("Cache-Control", "no-store")
	if len(h.opts.Hosts) > 0 && !slices.Contains(h.opts.Hosts, r.Host) {
		h.problem(w, r, http.StatusMisdirectedRequest, "Wrong host", "This server answers only to "+strings.Join(h.opts.Hosts, " or ")+".")
		return
	}
	if h.opts.Caller(r) == "" {
		h.problem(w, r, http.StatusForbidden, "Who are you?", "The request carries no identity, and every decision records who made it.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// listQuery is the list's filter and page, from the URL.
type listQuery struct {
	Status queue.Status
	Action queue.Action
	Page   int
}

func parseListQuery(r *http.Request) (listQuery, error) {
	v := r.URL.Query()
	q := listQuery{Status: queue.Status(cmp.Or(v.Get("status"), string(queue.Pending))), Action: queue.Action(v.Get("action")), Page: 1}
	if !q.Status.Valid() {
		return q, fmt.Errorf("unknown status %q", q.Status)
	}
	if q.Action != "" && !q.Action.Valid() {
		return q, fmt.Errorf("unknown action %q", q.Action)
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > MaxListed/PageSize+1 {
			return q, fmt.Errorf("page %q: want 1 to %d", p, MaxListed/PageSize+1)
		}
		q.Page = n
	}
	return q, nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		h.problem(w, r, http.StatusBadRequest, "Bad filter", err.Error())
		return
	}
	// One more than the bound tells whether there are more.
	items, err := h.store.ListQueue(r.Context(), q.Status, q.Action, MaxListed+1)
	if err != nil {
		h.fail(w, r, "list", err)
		return
	}
	capped := len(items) > MaxListed
	if capped {
		items = items[:MaxListed]
	}
	slices.SortStableFunc(items, func(a, b queue.Item) int {
		return cmp.Or(
			cmp.Compare(b.Action.Priority(), a.Action.Priority()),
			cmp.Compare(b.Score, a.Score),
			a.CreatedAt.Compare(b.CreatedAt),
			strings.Compare(a.AccountID, b.AccountID))
	})
	total := len(items)
	from := min((q.Page-1)*PageSize, total)
	to := min(from+PageSize, total)
	h.render(w, r, http.StatusOK, "list", listPage{
		Query: q, Items: items[from:to], Total: total, Capped: capped, From: from + 1, To: to,
		Prev: pageLink(q, q.Page-1, q.Page > 1), Next: pageLink(q, q.Page+1, to < total),
		Statuses: []queue.Status{queue.Pending, queue.Applied, queue.Released, queue.Dismissed},
		Actions:  []queue.Action{queue.Suspend, queue.Review},
	})
}

func (h *Handler) item(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		h.problem(w, r, http.StatusBadRequest, "Which account?", "The address names no account (?id=).")
		return
	}
	it, err := h.store.QueueItem(r.Context(), id)
	if errors.Is(err, queue.ErrNotFound) {
		h.problem(w, r, http.StatusNotFound, "Not in the queue", "No queue item for account "+visible(id)+".")
		return
	}
	if err != nil {
		h.fail(w, r, "read item", err)
		return
	}
	h.render(w, r, http.StatusOK, "item", h.itemPage(w, r, it, r.URL.Query().Get("done")))
}

// decision is one of the item form's choices.
type decision struct {
	To    queue.Status
	Label string
}

// decisions are the form's choices, by the status each one sets.
var decisions = []decision{
	{queue.Released, "Release"},
	{queue.Dismissed, "Dismiss"},
	{queue.Applied, "Apply"},
}

func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.problem(w, r, http.StatusBadRequest, "Bad form", "The form could not be read.")
		return
	}
	if why := h.checkCSRF(r); why != "" {
		h.opts.Log.Warn("review refused", slog.String("why", why), slog.String("by", h.opts.Caller(r)))
		h.problem(w, r, http.StatusForbidden, "Form refused", why+" Nothing was changed: reload the item and decide again.")
		return
	}
	f := r.PostForm
	id, note := f.Get("id"), strings.TrimSpace(f.Get("note"))
	to := queue.Status(f.Get("to"))
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	switch {
	case id == "":
		h.problem(w, r, http.StatusBadRequest, "Which account?", "The form names no account.")
		return
	case err != nil || version < 1:
		h.problem(w, r, http.StatusBadRequest, "Bad form", "The form carries no item version.")
		return
	case !slices.ContainsFunc(decisions, func(d decision) bool { return d.To == to }):
		h.problem(w, r, http.StatusBadRequest, "Bad form", "Choose release, dismiss or apply.")
		return
	case note == "":
		h.problem(w, r, http.StatusBadRequest, "A note is needed", "Say why: the note is kept with the decision for appeals and audits.")
		return
	case len(note) > MaxNoteBytes:
		h.problem(w, r, http.StatusBadRequest, "Note too long", fmt.Sprintf("A note holds at most %d bytes.", MaxNoteBytes))
		return
	}
	cur, err := h.store.QueueItem(r.Context(), id)
	if errors.Is(err, queue.ErrNotFound) {
		h.problem(w, r, http.StatusNotFound, "Not in the queue", "No queue item for account "+visible(id)+".")
		return
	}
	if err != nil {
		h.fail(w, r, "read item", err)
		return
	}
	if cur.Version != version {
		h.conflict(w, r, cur, version)
		return
	}
	by := h.opts.Caller(r)
	// Both stores keep milliseconds.
	next, err := queue.Decide(cur, to, by, note, h.opts.Now().UTC().Truncate(time.Millisecond))
	if errors.Is(err, queue.ErrTransition) {
		h.problem(w, r, http.StatusConflict, "Not allowed", fmt.Sprintf("An item %s cannot be %s.", cur.Status, to))
		return
	}
	if err != nil {
		h.fail(w, r, "decide", err)
		return
	}
	errs := h.store.PutQueueItems(r.Context(), []queue.Write{{Item: next, PrevVersion: version}})
	if len(errs) != 1 {
		h.fail(w, r, "write item", fmt.Errorf("store returned %d results for one write", len(errs)))
		return
	}
	if errors.Is(errs[0], queue.ErrConflict) {
		if now, err := h.store.QueueItem(r.Context(), id); err == nil {
			h.conflict(w, r, now, version)
			return
		}
		h.problem(w, r, http.StatusConflict, "Changed meanwhile", "The item changed since this page was shown; nothing was written. Reload it.")
		return
	}
	if errs[0] != nil {
		h.fail(w, r, "write item", errs[0])
		return
	}
	h.opts.Log.Info("review decided", slog.String("account", id), slog.String("to", string(to)), slog.String("by", by), slog.Int64("version", next.Version))
	http.Redirect(w, r, itemLink(id)+"&done="+string(to), http.StatusSeeOther)
}

// conflict answers a form posted from a page that showed version shown of
// an item that is now cur: 409, what changed, and nothing written.
func (h *Handler) conflict(w http.ResponseWriter, r *http.Request, cur queue.Item, shown int64) {
	h.opts.Log.Info("review conflict", slog.String("account", cur.AccountID), slog.Int64("shown", shown), slog.Int64("version", cur.Version))
	page := h.itemPage(w, r, cur, "")
	page.Conflict = &conflictNote{Shown: shown, Now: cur.Version}
	h.render(w, r, http.StatusConflict, "item", page)
}

// fail answers a store fault: 500 without its text, which may name tables
// or accounts, and one log line with it.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.opts.Log.Error("review "+what, slog.String("error", err.Error()), slog.String("path", r.URL.Path))
	if errors.Is(err, context.Canceled) {
		return
	}
	h.problem(w, r, http.StatusInternalServerError, "Store error", "The queue could not be read or written; the log says why. Nothing was changed by this request unless the item shows it.")
}

func (h *Handler) problem(w http.ResponseWriter, r *http.Request, code int, title, text string) {
	h.render(w, r, code, "problem", problemPage{Code: code, Title: title, Text: text})
}

// render writes a page; the template is executed into memory first, so that
// a failing template is a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var b strings.Builder
	if err := h.pages[name].Execute(&b, page{Caller: h.opts.Caller(r), Data: data}); err != nil {
		h.opts.Log.Error("review render", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(b.String()))
	}
}

// hostPort reports whether addr is a host:port; for Options.Hosts.
func hostPort(addr string) bool {
	_, _, err := net.SplitHostPort(addr)
	return err == nil
}

// LoopbackHosts returns the Host headers a browser sends to a server
// listening on addr: the address itself and, for a loopback address,
// localhost with the same port.
func LoopbackHosts(addr string) []string {
	if !hostPort(addr) {
		return nil
	}
	host, port, _ := net.SplitHostPort(addr)
	out := []string{addr}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		out = append(out, net.JoinHostPort("localhost", port), net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port))
	}
	if host == "localhost" {
		out = append(out, net.JoinHostPort("127.0.0.1", port))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
