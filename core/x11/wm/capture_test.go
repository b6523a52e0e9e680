package wm

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xroam/xroam/core/geom"
	"github.com/xroam/xroam/core/x11"
	"github.com/xroam/xroam/core/x11/x11test"
	"github.com/xroam/xroam/sdk/shm"
)

// BenchmarkCapture1280x720 measures the capture of a full 1280x720 frame
// into a frame segment, the System V segment the pipeline hands encoders,
// as the pipeline asks for it (CaptureIntoSegment; before it, CaptureInto
// the segment's memory: a capture into the manager's segment and a copy,
// about 2.6 times as long).
func BenchmarkCapture1280x720(b *testing.B) {
	const w, h = 1280, 720
	quiet := slog.New(slog.DiscardHandler)
	x := x11test.StartXvfb(b, x11.XvfbConfig{Display: -1, Logger: quiet,
		Command: strings.Replace(x11test.Command, "1024x768x24", "1280x720x24", 1)})
	wm, err := Start(b.Context(), x11.DisplayName(x.Display()), quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(wm.Close)
	if !wm.UsesSHM() {
		b.Skip("MIT-SHM is not usable")
	}
	id, err := paintTestWindow(wm, w, h)
	if err != nil {
		b.Fatal(err)
	}
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	seg, err := shm.Create(w * h * 4)
	if err != nil {
		b.Skipf("no System V shared memory: %v", err)
	}
	b.Cleanup(func() { _ = seg.Close() })
	pix := seg.Bytes()[:w*h*4]
	b.SetBytes(int64(len(pix)))
	b.ReportAllocs()
	for b.Loop() {
		if err := wm.CaptureIntoSegment(id, full, seg); err != nil {
			b.Fatal(err)
		}
	}
	wm.ReleaseSegment(seg)
	if bytes.Count(pix, []byte{0}) == len(pix) {
		b.Fatal("the frame segment holds no picture")
	}
}

// attachCount is how many processes have System V segment id attached,
// and false once the segment is gone; it skips without /proc/sysvipc.
func attachCount(t *testing.T, id int) (int, bool) {
	t.Helper()
	raw, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Skipf("no /proc/sysvipc/shm: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	col := map[string]int{}
	for i, name := range strings.Fields(lines[0]) {
		col[name] = i
	}
	ci, ni := col["shmid"], col["nattch"]
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= max(ci, ni) || f[ci] != strconv.Itoa(id) {
			continue
		}
		n, err := strconv.Atoi(f[ni])
		if err != nil {
			t.Fatalf("/proc/sysvipc/shm: nattch %q: %v", f[ni], err)
		}
		return n, true
	}
	return 0, false
}

// waitGone waits for the kernel to free segment id.
func waitGone(t *testing.T, id int, what string) {
	t.Helper()
	deadline := time.Now().Add(x11test.Wait)
	for {
		n, ok := attachCount(t, id)
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: segment %d is still attached %d times", what, id, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCaptureIntoSegment: the X server writes a capture straight into a
// frame segment, the same pixels as a copied capture; it attaches the
// segment once, read-write, and ReleaseSegment (or the manager's Close)
// detaches it, so that the segment is freed when its owner closes it.
// Without MIT-SHM the capture is copied into the segment.
func TestCaptureIntoSegment(t *testing.T) {
	_, wm := wmDisplay(t, "")
	if !wm.UsesSHM() {
		t.Skip("MIT-SHM is not usable")
	}
	const w, h = 300, 200
	id, err := paintTestWindow(wm, w, h)
	if err != nil {
		t.Fatal(err)
	}
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	n := w * h * 4
	want, err := wm.Capture(id, full)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	if colourCount(want) < 2 {
		t.Fatalf("the test window has %d colours", colourCount(want))
	}
	newSeg := func() *shm.Segment {
		seg, err := shm.Create(n + 4096)
		if err != nil {
			t.Skipf("no System V shared memory: %v", err)
		}
		t.Cleanup(func() { _ = seg.Close() })
		return seg
	}

	seg := newSeg()
	for i := range 2 {
		if err := wm.CaptureIntoSegment(id, full, seg); err != nil {
			t.Fatalf("CaptureIntoSegment: %v", err)
		}
		if !bytes.Equal(seg.Bytes()[:n], want) {
			t.Fatalf("capture %d into the segment differs from Capture", i)
		}
		if got, _ := attachCount(t, seg.ID()); got != 2 {
			t.Fatalf("capture %d: the segment is attached %d times, want 2 (here and the X server)", i, got)
		}
	}
	wm.capMu.Lock()
	held := len(wm.segs)
	wm.capMu.Unlock()
	if held != 1 {
		t.Errorf("%d segments held after two captures into one", held)
	}

	// The GetImage fallback writes into the segment too, and attaches
	// nothing.
	wm.capMu.Lock()
	own := wm.shm
	wm.shm = nil
	wm.capMu.Unlock()
	plain := newSeg()
	err = wm.CaptureIntoSegment(id, full, plain)
	wm.capMu.Lock()
	wm.shm = own
	wm.capMu.Unlock()
	if err != nil {
		t.Fatalf("CaptureIntoSegment without MIT-SHM: %v", err)
	}
	if !bytes.Equal(plain.Bytes()[:n], want) {
		t.Error("the capture without MIT-SHM differs from Capture")
	}
	if got, _ := attachCount(t, plain.ID()); got != 1 {
		t.Errorf("without MIT-SHM the segment is attached %d times, want 1", got)
	}
	wm.ReleaseSegment(plain)

	small, err := shm.Create(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = small.Close() }()
	if err := wm.CaptureIntoSegment(id, full, small); err == nil {
		t.Error("a capture larger than the segment succeeded")
	}

	// Released, the X server has let go at once; closed, it is freed.
	wm.ReleaseSegment(seg)
	if got, _ := attachCount(t, seg.ID()); got != 1 {
		t.Errorf("after ReleaseSegment the segment is attached %d times, want 1", got)
	}
	if err := seg.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, seg.ID(), "after ReleaseSegment and Close")
	if err := plain.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, plain.ID(), "the fallback's segment after Close")
	wm.capMu.Lock()
	held = len(wm.segs)
	wm.capMu.Unlock()
	if held != 0 {
		t.Errorf("%d segments held after they were all released", held)
	}

	// Closing the manager lets go of what it still holds, and a release
	// after that returns.
	last := newSeg()
	if err := wm.CaptureIntoSegment(id, full, last); err != nil {
		t.Fatalf("CaptureIntoSegment: %v", err)
	}
	wm.Close()
	wm.ReleaseSegment(last)
	if err := last.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, last.ID(), "after the manager closed")
}

// TestCaptureIntoSegmentUnsharedServer: an X server that cannot reach
// this process's System V segments (another IPC namespace, like a
// remote one) gets captures by GetImage, copied into the frame segment,
// and holds nothing.
func TestCaptureIntoSegmentUnsharedServer(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("no unshare: %v", err)
	}
	if err := exec.Command("unshare", "--ipc", "true").Run(); err != nil {
		t.Skipf("cannot make an IPC namespace: %v", err)
	}
	// StartXvfb puts its own arguments first: a wrapper takes them all.
	wrap := filepath.Join(t.TempDir(), "Xvfb-unshared")
	if err := os.WriteFile(wrap, []byte("#!/bin/sh\nexec unshare --ipc -- Xvfb \"$@\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, wm := wmDisplay(t, wrap+strings.TrimPrefix(x11test.Command, "Xvfb"))
	if wm.UsesSHM() {
		t.Fatal("the manager attached its segment to a server in another IPC namespace")
	}
	const w, h = 300, 200
	id, err := paintTestWindow(wm, w, h)
	if err != nil {
		t.Fatal(err)
	}
	full := geom.Rect{X: 0, Y: 0, W: w, H: h}
	want, err := wm.Capture(id, full)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	seg, err := shm.Create(w * h * 4)
	if err != nil {
		t.Skipf("no System V shared memory: %v", err)
	}
	defer func() { _ = seg.Close() }()
	if err := wm.CaptureIntoSegment(id, full, seg); err != nil {
		t.Fatalf("CaptureIntoSegment: %v", err)
	}
	if !bytes.Equal(seg.Bytes(), want) || colourCount(want) < 2 {
		t.Errorf("the capture into the segment differs from Capture (%d colours)", colourCount(want))
	}
	if got, _ := attachCount(t, seg.ID()); got != 1 {
		t.Errorf("the segment is attached %d times, want 1", got)
	}
	wm.ReleaseSegment(seg)

	// A server that attached the manager's segment but refuses a frame
	// segment: copied too, and not asked again.
	clear(seg.Bytes())
	wm.capMu.Lock()
	wm.shm = &x11.SHMSegment{} // too small for any capture: GetImage
	wm.capMu.Unlock()
	for range 2 {
		if err := wm.CaptureIntoSegment(id, full, seg); err != nil {
			t.Fatalf("CaptureIntoSegment, refused: %v", err)
		}
	}
	wm.capMu.Lock()
	wm.shm = nil
	refused, held := wm.segsRefused, len(wm.segs)
	wm.capMu.Unlock()
	if !refused || held != 0 {
		t.Errorf("after a refused attach: refused %v, %d segments held", refused, held)
	}
	if !bytes.Equal(seg.Bytes(), want) {
		t.Error("the capture into a refused segment differs from Capture")
	}
	wm.ReleaseSegment(seg)
}
