package packaging

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestDebPackage installs the package that `make deb` built, runs the
// installed binary against the installed configuration, and purges it,
// checking that nothing is left behind. `make test-deb` runs it (as root,
// in CI); it skips when XROAM_TEST_DEB does not name a package.
func TestDebPackage(t *testing.T) {
	deb := os.Getenv("XROAM_TEST_DEB")
	if deb == "" {
		t.Skip("XROAM_TEST_DEB is not set; run `make test-deb`")
	}
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root")
	}
	if exec.Command("dpkg", "-s", "xroam").Run() == nil {
		t.Skip("an xroam package is already installed here; not touching it")
	}
	info := sh(t, "dpkg-deb", "--info", deb)
	for _, want := range []string{"Package: xroam", "Depends: libc6, xvfb", "conffiles"} {
		if !strings.Contains(info, want) {
			t.Errorf("package info lacks %q:\n%s", want, info)
		}
	}
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "xroam").Run() })
	sh(t, "dpkg", "-i", deb)

	for _, f := range []string{"/usr/bin/xroam", "/usr/share/man/man1/xroam.1.gz", "/etc/xroam/conf.d", "/usr/libexec/xroam/plugins"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("installed file missing: %v", err)
		}
	}
	listed := sh(t, "dpkg-query", "--showformat=${Conffiles}\n", "--show", "xroam")
	if !strings.Contains(listed, "/etc/xroam/conf.d/") {
		t.Errorf("conf.d files are not conffiles: %q", listed)
	}

	if v := sh(t, "/usr/bin/xroam", "version"); !strings.HasPrefix(v, "xroam ") {
		t.Errorf("xroam version printed %q", v)
	}
	// The installed binary reads the installed /etc/xroam/conf.d: a file
	// added there shows up with its origin.
	extra := "/etc/xroam/conf.d/99-test-deb.hcl"
	if err := os.WriteFile(extra, []byte("quality = 77\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/xroam", "showconfig")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	os.Remove(extra)
	if err != nil {
		t.Fatalf("installed xroam showconfig: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "quality = 77  (/etc/xroam/conf.d/99-test-deb.hcl:1:1)") {
		t.Errorf("showconfig did not read /etc/xroam/conf.d:\n%s", out)
	}
	if out := sh(t, "/usr/bin/xroam", "showconfig", "all", "--format=json"); !strings.Contains(out, `"xvfb"`) {
		t.Errorf("showconfig all --format=json: %s", out)
	}
	if out, err := exec.Command("man", "-w", "xroam").CombinedOutput(); err == nil && !strings.Contains(string(out), "xroam.1") {
		t.Errorf("man -w xroam: %s", out)
	}

	sh(t, "dpkg", "--purge", "xroam")
	for _, f := range []string{"/usr/bin/xroam", "/etc/xroam", "/usr/libexec/xroam", "/usr/share/xroam", "/usr/share/man/man1/xroam.1.gz"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s remains after purge (err %v)", f, err)
		}
	}
}
