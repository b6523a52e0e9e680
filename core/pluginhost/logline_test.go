package pluginhost

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPluginLineLevel: a plugin's warnings and errors reach the server's
// log; the rest of what it and go-plugin write stays at debug level.
func TestPluginLineLevel(t *testing.T) {
	for line, want := range map[string]slog.Level{
		`[DEBUG] plugin.xroam-transport-tcp: time=2026-11-23T11:15:17.367Z level=WARN msg="the --tcp-proxy target cannot be reached" transport=tcp`: slog.LevelWarn,
		`[DEBUG] plugin.xroam-transport-tcp: time=2026-11-23T11:15:17.367Z level=ERROR msg=boom`:                                                    slog.LevelError,
		`[DEBUG] plugin.xroam-transport-tcp: time=2026-11-23T11:15:17.359Z level=INFO msg="forwarding a connection"`:                                slog.LevelDebug,
		`[DEBUG] plugin: starting plugin: path=/usr/lib/xroam/plugins/xroam-transport-tcp`:                                                          slog.LevelDebug,
		`[DEBUG] plugin.xroam-auth-file: time=… level=INFO msg="said level=WARN in passing"`:                                                        slog.LevelDebug,
	} {
		if got := pluginLineLevel(line); got != want {
			t.Errorf("%s: %v, want %v", line, got, want)
		}
	}
}

// TestStderrLog: a plugin's stderr, cut anywhere by the stdio stream,
// reaches the host's log as whole lines, its warnings as warnings.
func TestStderrLog(t *testing.T) {
	var out bytes.Buffer
	h := &Host{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	r := &remote{h: h}
	r.desc.Kind, r.desc.Name = "transport", "tcp"
	w := &stderrLog{w: logWriter{r: r}}
	for _, piece := range []string{"time=x level=INFO msg=quiet\ntime=x level=WA", "RN msg=\"target gone\" peer=1", ".2.3.4\n", "time=x level=ERR", "OR msg=late"} {
		w.Write([]byte(piece))
	}
	got := out.String()
	if !strings.Contains(got, "level=WARN") || !strings.Contains(got, `target gone\" peer=1.2.3.4`) || strings.Contains(got, "quiet") {
		t.Errorf("the host logged:\n%s", got)
	}
	if strings.Contains(got, "late") {
		t.Errorf("a line was logged before its end:\n%s", got)
	}
	w.Write([]byte("\n"))
	if !strings.Contains(out.String(), "level=ERROR") {
		t.Errorf("the error line was not logged once ended:\n%s", out.String())
	}
}
