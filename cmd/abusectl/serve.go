package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/user"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/review"
)

// cmdServe runs the review page (internal/review) over the store on a
// loopback address until ctx ends. The page has no login of its own:
// whoever reaches it decides as --by, so it listens on loopback only.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) error {
	fs := newFlagSet("serve")
	var sf storeFlags
	sf.register(fs, getenv)
	// As for the queue commands: an empty store made here would read as an
	// empty queue.
	sf.mustExist = true
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on: a loopback address and port")
	by := fs.String("by", "", "who decides, recorded on every change (default: the OS user)")
	if err := parseInterleaved(fs, args, 0); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("%w: --addr %q: want HOST:PORT", errUsage, *addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%w: --addr %q: the page has no login of its own, so it listens on a loopback address only (127.0.0.1, ::1, localhost)", errUsage, *addr)
	}
	caller := strings.TrimSpace(*by)
	if caller == "" {
		caller = osUser(getenv)
	}
	if caller == "" {
		return fmt.Errorf("%w: --by: no OS user name to default to; say who decides", errUsage)
	}
	st, closeStore, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeStore()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	h, err := review.New(st, review.Options{
		Caller: func(*http.Request) string { return caller },
		Key:    review.NewKey(),
		Hosts:  review.LoopbackHosts(ln.Addr().String()),
		Now:    now,
		Log:    log,
	})
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "review page: http://%s/ (deciding as %s; Ctrl-C stops it)\n", ln.Addr(), Escape(caller))
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("serve: shut down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// osUser is the name of the user running abusectl, "" if unknown.
func osUser(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return or(getenv("USER"), getenv("USERNAME"))
}
