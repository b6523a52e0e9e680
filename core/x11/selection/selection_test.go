package selection

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
)

func requireXclip(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Skipf("skipping: xclip is not installed (apt install xclip): %v", err)
	}
}

// xclipIn makes xclip own selection on display with data as target; it
// serves until another client takes the selection or the test ends.
func xclipIn(t *testing.T, display, selection, target string, data []byte) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "xclip", "-d", display, "-selection", strings.ToLower(selection), "-t", target, "-i")
	cmd.Stdin = bytes.NewReader(data)
	// xclip forks and serves in the background until the selection is
	// taken or the display ends; no pipes, so Run returns at the fork.
	if err := cmd.Run(); err != nil {
		t.Fatalf("xclip -i: %v", err)
	}
}

func xclipOut(ctx context.Context, display, selection, target string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "xclip", "-d", display, "-selection", strings.ToLower(selection), "-t", target, "-o")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.Join(err, errors.New(stderr.String()))
	}
	return out, nil
}

func openTestSelections(t *testing.T, cfg Config) (string, *Conn) {
	t.Helper()
	requireXclip(t)
	x := x11test.StartXvfb(t, x11.XvfbConfig{Display: -1})
	d := x11.DisplayName(x.Display())
	if cfg.Logger == nil {
		cfg.Logger = x11test.Logger(t)
	}
	s, err := Open(t.Context(), d, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return d, s
}

func nextSelectionEvent(t *testing.T, s *Conn, kind EventKind) Event {
	t.Helper()
	timeout := time.After(x11test.Wait)
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatal("selection events closed")
			}
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no selection event of kind %d", kind)
		}
	}
}

func TestSelectionsReadLocalOwner(t *testing.T) {
	d, s := openTestSelections(t, Config{Selections: []string{"CLIPBOARD", "PRIMARY"}})
	xclipIn(t, d, "CLIPBOARD", "UTF8_STRING", []byte("héllo from an app"))
	ev := nextSelectionEvent(t, s, OwnerChanged)
	if ev.Selection != "CLIPBOARD" {
		t.Fatalf("owner change of %q, want CLIPBOARD", ev.Selection)
	}
	got, err := s.Read(t.Context(), "CLIPBOARD", "UTF8_STRING")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "héllo from an app" || got.Type != "UTF8_STRING" || got.Format != 8 {
		t.Errorf("read %+v", got)
	}
	tg, err := s.Read(t.Context(), "CLIPBOARD", "TARGETS")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tg.Atoms, "UTF8_STRING") || tg.Type != "ATOM" {
		t.Errorf("TARGETS = %+v", tg)
	}
	if _, err := s.Read(t.Context(), "PRIMARY", "UTF8_STRING"); err == nil {
		t.Error("reading an unowned PRIMARY succeeded")
	}
}

func TestSelectionsReadIncr(t *testing.T) {
	d, s := openTestSelections(t, Config{})
	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)
	xclipIn(t, d, "CLIPBOARD", "image/png", big)
	nextSelectionEvent(t, s, OwnerChanged)
	got, err := s.Read(t.Context(), "CLIPBOARD", "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, big) || got.Type != "image/png" {
		t.Errorf("read %d bytes of %s, want %d identical bytes", len(got.Data), got.Type, len(big))
	}
}

func TestSelectionsReadSizeLimit(t *testing.T) {
	d, s := openTestSelections(t, Config{MaxBytes: 1 << 20})
	xclipIn(t, d, "CLIPBOARD", "UTF8_STRING", bytes.Repeat([]byte("x"), 2<<20))
	nextSelectionEvent(t, s, OwnerChanged)
	if _, err := s.Read(t.Context(), "CLIPBOARD", "UTF8_STRING"); !errors.Is(err, ErrTooBig) {
		t.Errorf("read over the limit: %v, want ErrTooBig", err)
	}
}

// TestSelectionsServeClaim claims the selection and serves a local
// reader, small and incremental, and refuses on time when nobody answers.
func TestSelectionsServeClaim(t *testing.T) {
	d, s := openTestSelections(t, Config{Timeout: 2 * time.Second})
	if err := s.Claim("CLIPBOARD", []string{"UTF8_STRING", "image/png"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(t.Context(), "CLIPBOARD", "UTF8_STRING"); !errors.Is(err, ErrOwned) {
		t.Errorf("reading our own claim: %v", err)
	}
	big := make([]byte, 5<<20)
	_, _ = rand.Read(big)
	for _, c := range []struct {
		target, asked string
		data          []byte
	}{
		{"UTF8_STRING", "UTF8_STRING", []byte("from the remote side")},
		{"UTF8_STRING", "STRING", []byte("text by another name")},
		{"image/png", "image/png", big},
	} {
		type out struct {
			b   []byte
			err error
		}
		ch := make(chan out, 1)
		go func() {
			b, err := xclipOut(t.Context(), d, "CLIPBOARD", c.asked)
			ch <- out{b, err}
		}()
		ev := nextSelectionEvent(t, s, Wanted)
		if ev.Target != c.target || ev.Selection != "CLIPBOARD" {
			t.Errorf("wanted %+v, want target %s", ev, c.target)
		}
		if err := s.Answer(ev.ID, &Data{Type: c.target, Format: 8, Data: c.data}); err != nil {
			t.Fatal(err)
		}
		o := <-ch
		if o.err != nil || !bytes.Equal(o.b, c.data) {
			t.Errorf("xclip -o -t %s: %d bytes, %v; want %d bytes", c.asked, len(o.b), o.err, len(c.data))
		}
	}
	// Unanswered: xclip gets a refusal after the timeout.
	start := time.Now()
	ch := make(chan error, 1)
	go func() {
		_, err := xclipOut(t.Context(), d, "CLIPBOARD", "UTF8_STRING")
		ch <- err
	}()
	ev := nextSelectionEvent(t, s, Wanted)
	if err := <-ch; err == nil {
		t.Error("an unanswered request gave xclip data")
	}
	if err := s.Answer(ev.ID, &Data{Type: "UTF8_STRING", Format: 8, Data: []byte("late")}); err == nil {
		t.Error("a late answer was accepted")
	}
	t.Logf("refused after %v", time.Since(start))
	if tg, err := xclipOut(t.Context(), d, "CLIPBOARD", "TARGETS"); err != nil || !strings.Contains(string(tg), "image/png") {
		t.Errorf("TARGETS from xclip: %q, %v", tg, err)
	}
}

// TestSelectionsStalledPeers freezes a local application mid-transfer,
// first as the owner we read from, then as a requestor we write to: each
// costs at most the timeout, and the connection serves others meanwhile.
func TestSelectionsStalledPeers(t *testing.T) {
	d, s := openTestSelections(t, Config{Timeout: time.Second})
	big := make([]byte, 8<<20)
	_, _ = rand.Read(big)

	// A frozen owner: xclip in the foreground, stopped once it owns.
	owner := exec.CommandContext(t.Context(), "xclip", "-quiet", "-d", d, "-selection", "clipboard", "-t", "image/png", "-i")
	owner.Stdin = bytes.NewReader(big)
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Process.Kill(); _ = owner.Wait() })
	nextSelectionEvent(t, s, OwnerChanged)
	_ = owner.Process.Signal(syscall.SIGSTOP)
	start := time.Now()
	if _, err := s.Read(t.Context(), "CLIPBOARD", "image/png"); !errors.Is(err, ErrTimeout) {
		t.Errorf("reading from a frozen owner: %v, want a timeout", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("the frozen owner held the read for %v", el)
	}
	_ = owner.Process.Kill()

	// A frozen requestor in the middle of an INCR transfer.
	if err := s.Claim("CLIPBOARD", []string{"image/png", "UTF8_STRING"}); err != nil {
		t.Fatal(err)
	}
	reader := exec.CommandContext(t.Context(), "xclip", "-d", d, "-selection", "clipboard", "-t", "image/png", "-o")
	reader.Stdout = io.Discard
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reader.Process.Kill(); _ = reader.Wait() })
	ev := nextSelectionEvent(t, s, Wanted)
	_ = reader.Process.Signal(syscall.SIGSTOP)
	if err := s.Answer(ev.ID, &Data{Type: "image/png", Format: 8, Data: big}); err != nil {
		t.Fatal(err)
	}
	// Another application is served while the first one sleeps.
	ch := make(chan []byte, 1)
	go func() {
		b, _ := xclipOut(t.Context(), d, "CLIPBOARD", "UTF8_STRING")
		ch <- b
	}()
	ev = nextSelectionEvent(t, s, Wanted)
	if err := s.Answer(ev.ID, &Data{Type: "UTF8_STRING", Format: 8, Data: []byte("meanwhile")}); err != nil {
		t.Fatal(err)
	}
	if got := <-ch; string(got) != "meanwhile" {
		t.Errorf("second reader got %q", got)
	}
	waitSends := time.Now().Add(30 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.sends)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(waitSends) {
			t.Fatal("the transfer to the frozen requestor was never abandoned")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pairOnDisplay opens a second Conn on the display of the first:
// one claims, the other reads, both through our own INCR code.
func pairOnDisplay(tb testing.TB, d string) *Conn {
	tb.Helper()
	s, err := Open(context.Background(), d, Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// serveOnce answers the next request on owner with data.
func serveOnce(owner *Conn, data []byte) {
	go func() {
		for ev := range owner.Events() {
			if ev.Kind == Wanted {
				_ = owner.Answer(ev.ID, &Data{Type: "image/png", Format: 8, Data: data})
				return
			}
		}
	}()
}

func TestSelectionsIncrBetweenOurselves(t *testing.T) {
	d, owner := openTestSelections(t, Config{})
	reader := pairOnDisplay(t, d)
	if err := owner.Claim("CLIPBOARD", []string{"image/png"}); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20<<20)
	_, _ = rand.Read(big)
	serveOnce(owner, big)
	got, err := reader.Read(t.Context(), "CLIPBOARD", "image/png")
	if err != nil || !bytes.Equal(got.Data, big) {
		t.Fatalf("read %d bytes, %v", len(got.Data), err)
	}
	tg, err := reader.Read(t.Context(), "CLIPBOARD", "TARGETS")
	if err != nil || !slices.Equal(tg.Atoms, []string{"image/png", "TARGETS", "TIMESTAMP"}) {
		t.Errorf("TARGETS %+v, %v", tg, err)
	}
}

// BenchmarkSelectionsTransfer moves 1 MiB and 20 MiB through a selection
// between two connections (INCR both ways).
func BenchmarkSelectionsTransfer(b *testing.B) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		b.Skip("no Xvfb")
	}
	x, err := x11.StartXvfb(b.Context(), x11.XvfbConfig{Display: -1, Command: x11test.Command, StartTimeout: x11test.StartTimeout})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { killXvfbB(x) })
	d := x11.DisplayName(x.Display())
	owner, reader := pairOnDisplay(b, d), pairOnDisplay(b, d)
	for _, size := range []int{1 << 20, 20 << 20} {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		b.Run(strconv.Itoa(size>>20)+"MiB", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := owner.Claim("CLIPBOARD", []string{"image/png"}); err != nil {
					b.Fatal(err)
				}
				serveOnce(owner, data)
				got, err := reader.Read(b.Context(), "CLIPBOARD", "image/png")
				if err != nil || len(got.Data) != size {
					b.Fatalf("read %v", err)
				}
			}
		})
	}
}

func killXvfbB(x *x11.Xvfb) {
	ctx, cancel := context.WithTimeout(context.Background(), x11test.Wait)
	defer cancel()
	_ = x.Stop(ctx)
}
