package x11

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWriteAuthFileFormat checks the bytes against the layout of libXau's
// files, written out by hand, the mode whatever was there before, and
// that Debian's xauth reads the entry back.
func TestWriteAuthFileFormat(t *testing.T) {
	t.Parallel()
	cookie := []byte("0123456789abcdef")
	e := AuthEntry{Family: FamilyLocal, Address: []byte("host"), Number: "12", Name: CookieAuthName, Data: cookie}
	path := filepath.Join(t.TempDir(), "auth")
	// A leftover temporary file, readable by all: the mode must still
	// end up 0600.
	if err := os.WriteFile(path+"-n", []byte("junk"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := WriteAuthFile(path, []AuthEntry{e}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x01, 0x00, 0x00, 0x04, 'h', 'o', 's', 't', 0x00, 0x02, '1', '2', 0x00, 0x12}
	want = append(want, CookieAuthName...)
	want = append(want, 0x00, 0x10)
	want = append(want, cookie...)
	if !bytes.Equal(got, want) {
		t.Errorf("file is\n%x\nwant\n%x", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + "-n"); err == nil {
		t.Error("the temporary file is left over")
	}
	if _, err := exec.LookPath("xauth"); err == nil {
		out, err := exec.Command("xauth", "-f", path, "list").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "host/unix:12  MIT-MAGIC-COOKIE-1  30313233343536373839616263646566") {
			t.Errorf("xauth list: %v\n%s", err, out)
		}
	}
	back, err := ReadAuthFile(path)
	if err != nil || len(back) != 1 || !back[0].sameKey(e) || !bytes.Equal(back[0].Data, cookie) {
		t.Errorf("read back %+v, %v", back, err)
	}
}

func TestParseAuthorityRefusesTruncated(t *testing.T) {
	t.Parallel()
	full, err := EncodeAuthority([]AuthEntry{{Family: FamilyWild, Number: "3", Name: CookieAuthName, Data: make([]byte, 16)}})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(full); n++ {
		if _, err := ParseAuthority(full[:n]); err == nil {
			t.Errorf("%d of %d bytes accepted", n, len(full))
		}
	}
	// A length that claims more than there is, before any allocation.
	if _, err := ParseAuthority([]byte{0, 0, 0xff, 0xff, 'a'}); err == nil {
		t.Error("a field running past the end was accepted")
	}
}

// TestAddRemoveAuthority edits a file that xauth wrote, keeping xauth's
// other entries, and removes only the entry that is still ours.
func TestAddRemoveAuthority(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("xauth"); err != nil {
		t.Skip("xauth is not installed")
	}
	ctx := waitCtx(t)
	path := filepath.Join(t.TempDir(), "Xauthority")
	xauth := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("xauth", append([]string{"-q", "-f", path}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xauth %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	xauth("add otherhost/unix:5 MIT-MAGIC-COOKIE-1 00112233445566778899aabbccddeeff\n")
	mine, err := CookieEntry(7, []byte("aaaaaaaaaaaaaaaa"))
	if err != nil {
		t.Fatal(err)
	}
	if err := AddAuthority(ctx, path, mine); err != nil {
		t.Fatal(err)
	}
	list := xauth("", "list")
	if !strings.Contains(list, "otherhost/unix:5") || !strings.Contains(list, ":7  MIT-MAGIC-COOKIE-1  "+strings.Repeat("61", 16)) {
		t.Fatalf("after add:\n%s", list)
	}
	// A newer session on :7 replaces the entry; the old one's removal
	// must leave the newer cookie alone.
	newer := mine
	newer.Data = []byte("bbbbbbbbbbbbbbbb")
	if err := AddAuthority(ctx, path, newer); err != nil {
		t.Fatal(err)
	}
	if removed, err := RemoveAuthority(ctx, path, mine); err != nil || removed {
		t.Errorf("removing a replaced entry: %v, %v", removed, err)
	}
	list = xauth("", "list")
	if strings.Count(list, ":7 ") != 1 || !strings.Contains(list, strings.Repeat("62", 16)) {
		t.Fatalf("after replace:\n%s", list)
	}
	if removed, err := RemoveAuthority(ctx, path, newer); err != nil || !removed {
		t.Errorf("removing the entry: %v, %v", removed, err)
	}
	list = xauth("", "list")
	if strings.Contains(list, ":7 ") || !strings.Contains(list, "otherhost/unix:5") {
		t.Fatalf("after remove:\n%s", list)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the edits: %v, %v", fi.Mode(), err)
	}
	for _, s := range []string{"-c", "-l", "-n"} {
		if _, err := os.Stat(path + s); err == nil {
			t.Errorf("%s%s is left over", path, s)
		}
	}
}

// TestAuthorityLockSharedWithXauth: while xroam holds the lock, xauth
// cannot edit the file, and the other way round.
func TestAuthorityLockSharedWithXauth(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("xauth"); err != nil {
		t.Skip("xauth is not installed")
	}
	path := filepath.Join(t.TempDir(), "Xauthority")
	unlock, err := lockAuthority(waitCtx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("xauth", "-f", path, "add", ":3", "MIT-MAGIC-COOKIE-1", "00112233445566778899aabbccddeeff")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// xauth retries every couple of seconds: it must still be waiting.
	select {
	case err := <-exited:
		t.Fatalf("xauth did not wait for the lock: %v\n%s", err, out.String())
	case <-time.After(time.Second):
	}
	unlock()
	if err := <-exited; err != nil {
		t.Fatalf("xauth after the lock was released: %v\n%s", err, out.String())
	}
	if entries, err := ReadAuthFile(path); err != nil || len(entries) != 1 || entries[0].Number != "3" {
		t.Fatalf("xauth's entry: %v, %v", entries, err)
	}

	// xauth's lock, as it leaves it while it works: we wait for it.
	if err := os.WriteFile(path+"-c", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(path+"-c", path+"-l"); err != nil {
		t.Fatal(err)
	}
	e, _ := CookieEntry(4, make([]byte, CookieLen))
	done := make(chan error, 1)
	go func() { done <- AddAuthority(waitCtx(t), path, e) }()
	select {
	case err := <-done:
		t.Fatalf("AddAuthority went past a held lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	os.Remove(path + "-c")
	os.Remove(path + "-l")
	if err := <-done; err != nil {
		t.Fatalf("AddAuthority after the lock was released: %v", err)
	}
	if entries, err := ReadAuthFile(path); err != nil || len(entries) != 2 {
		t.Errorf("entries %v, %v", entries, err)
	}
}

// TestXvfbCookie: an Xvfb started with a cookie refuses clients without
// it (a real xdpyinfo as well as xgb), and lets in those that have it.
func TestXvfbCookie(t *testing.T) {
	if _, err := exec.LookPath("xdpyinfo"); err != nil {
		t.Skip("xdpyinfo is not installed")
	}
	cookie, err := NewCookie()
	if err != nil {
		t.Fatal(err)
	}
	x := startTestXvfb(t, XvfbConfig{Display: -1, Cookie: cookie})
	n := x.Display()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	e, err := CookieEntry(n, cookie)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAuthFile(good, []AuthEntry{e}); err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(dir, "wrong")
	e.Data = bytes.Repeat([]byte{1}, CookieLen)
	if err := WriteAuthFile(wrong, []AuthEntry{e}); err != nil {
		t.Fatal(err)
	}
	xdpyinfo := func(xauthority string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		cmd := exec.CommandContext(ctx, "xdpyinfo", "-display", DisplayName(n))
		cmd.Env = append(os.Environ(), "XAUTHORITY="+xauthority)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, f := range []string{filepath.Join(dir, "none"), wrong} {
		if out, err := xdpyinfo(f); err == nil || !(strings.Contains(out, "uthoriz") || strings.Contains(out, "Invalid MIT-MAGIC-COOKIE-1")) {
			t.Errorf("XAUTHORITY=%s: %v\n%s", f, err, out)
		}
	}
	if out, err := xdpyinfo(good); err != nil {
		t.Errorf("with the cookie: %v\n%s", err, out)
	}
	// The command line names no file another process could open.
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(x.Pid()) + "/cmdline")
	if !bytes.Contains(cmdline, []byte("-auth\x00/proc/self/fd/")) {
		t.Errorf("Xvfb's command line: %q", cmdline)
	}

	t.Setenv("XAUTHORITY", wrong)
	if _, err := Probe(waitCtx(t), DisplayName(n)); err == nil {
		t.Error("xgb got in with the wrong cookie")
	}
	t.Setenv("XAUTHORITY", good)
	if _, err := Probe(waitCtx(t), DisplayName(n)); err != nil {
		t.Errorf("xgb with the cookie: %v", err)
	}

	if _, err := StartXvfb(t.Context(), XvfbConfig{Command: testCommand + " -auth /x", Display: -1, Cookie: cookie}); err == nil {
		t.Error("a cookie and a command with its own -auth were both accepted")
	}
}

func FuzzParseAuthority(f *testing.F) {
	seed, _ := EncodeAuthority([]AuthEntry{
		{Family: FamilyLocal, Address: []byte("host"), Number: "0", Name: CookieAuthName, Data: make([]byte, 16)},
		{Family: FamilyWild, Name: "XDM-AUTHORIZATION-1", Data: []byte{1, 2, 3}},
	})
	f.Add(seed)
	f.Add([]byte{0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseAuthority(b)
		if err != nil {
			return
		}
		out, err := EncodeAuthority(entries)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip changed\n%x\ninto\n%x", b, out)
		}
	})
}

// TestToolEnv: the X tools the server runs see the path, the display's
// authority and the locale, never a password the server's environment
// holds for an auth module.
func TestToolEnv(t *testing.T) {
	got := toolEnv([]string{"PATH=/bin", "XROAM_PASSWORD=secret", "XAUTHORITY=/s/xa", "MY_SECRET=x", "LC_ALL=C", "HOME=/root", "XPRA_PASSWORD=p", "LANG=C.UTF-8"})
	want := []string{"PATH=/bin", "XAUTHORITY=/s/xa", "LC_ALL=C", "HOME=/root", "LANG=C.UTF-8"}
	if !slices.Equal(got, want) {
		t.Errorf("toolEnv = %q, want %q", got, want)
	}
}
