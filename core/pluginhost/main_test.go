package pluginhost_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pluginDir holds the plugin binaries TestMain builds.
var pluginDir string

// testPlugins are the plugin binaries built for the tests, by package.
var testPlugins = map[string]string{
	"xroam-auth-allow":     "./plugins/auth/allow",
	"xroam-auth-fail":      "./plugins/auth/fail",
	"xroam-auth-env":       "./plugins/auth/env",
	"xroam-auth-password":  "./plugins/auth/password",
	"xroam-auth-file":      "./plugins/auth/file",
	"xroam-auth-multifile": "./plugins/auth/multifile",
	"xroam-auth-exec":      "./plugins/auth/exec",
	"xroam-auth-peercred":  "./plugins/auth/peercred",
	"xroam-auth-hosts":     "./plugins/auth/hosts",
	"xroam-auth-sqlite":    "./plugins/auth/sqlite",
	"xroam-encoder-rgb":    "./plugins/encoders/rgb",
	"xroam-encoder-png":    "./plugins/encoders/png",
	"xroam-encoder-jpeg":   "./plugins/encoders/jpeg",
	"xroam-encoder-x264":   "./plugins/encoders/x264",
	"xroam-encoder-vpx":    "./plugins/encoders/vpx",
	"xroam-clipboard-x11":  "./plugins/clipboard/x11",
	"xroam-transport-tcp":  "./plugins/transports/tcp",
	"xroam-transport-ssl":  "./plugins/transports/ssl",
	"xroam-transport-ws":   "./plugins/transports/ws",
	"xroam-encoder-webp":   "./plugins/encoders/webp",
	// A third-party encoder, built against the SDK alone.
	"xroam-encoder-example": "./core/pluginhost/testdata/encoder-example",
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "xroam-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginDir = dir
	build := filepath.Join(dir, "build")
	var pkgs []string
	for _, p := range testPlugins {
		pkgs = append(pkgs, p)
	}
	// One go build for all of them: the packages share most of their code.
	cmd := exec.Command("go", append([]string{"build", "-tags", "extlib", "-o", build + "/"}, pkgs...)...)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building plugins: %v\n%s", err, out)
		return 1
	}
	for bin, pkg := range testPlugins {
		if err := os.Rename(filepath.Join(build, filepath.Base(pkg)), filepath.Join(dir, bin)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}
