package session

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/wire"
)

// TestEncoderSetWithoutPlugins: with no encoder binaries installed only
// the built-in rgb is advertised, and a client asking for png or jpeg
// gets rgb32 with the reason logged.
func TestEncoderSetWithoutPlugins(t *testing.T) {
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: pluginhost.DefaultBuiltins()})
	t.Cleanup(func() { _ = host.Close() })
	log := slog.New(slog.DiscardHandler)
	es := newEncoderSet(host, nil, &config.Config{Encodings: []string{"all"}}, log)
	if got := es.advertised(); !slices.Equal(got, []string{"rgb", "rgb32"}) {
		t.Fatalf("advertised %v", got)
	}
	if u := es.unavailable(); u["png"] == nil || u["jpeg"] == nil {
		t.Fatalf("unavailable %v", u)
	}
	ctx := context.Background()
	for _, pref := range []string{"png", "jpeg", "auto", "rgb"} {
		name, enc := es.choose(ctx, "auto", wire.Dict{"encoding": pref})
		if name != "rgb32" || enc != nil {
			t.Errorf("client %q: got %q %v", pref, name, enc)
		}
		name, enc = es.choose(ctx, pref, wire.Dict{})
		if name != "rgb32" || enc != nil {
			t.Errorf("server %q: got %q %v", pref, name, enc)
		}
	}
	// --encodings limits what is advertised even before probing.
	es = newEncoderSet(host, nil, &config.Config{Encodings: []string{"rgb"}}, log)
	if u := es.unavailable(); u["png"] != "not in --encodings" {
		t.Fatalf("unavailable %v", u)
	}
	// A nil set (no window manager yet) still answers rgb32.
	var none *encoderSet
	if got := none.core(); !slices.Equal(got, []string{"rgb32"}) {
		t.Fatalf("nil set: %v", got)
	}
}

func TestPictureQuality(t *testing.T) {
	for _, tc := range []struct {
		server int
		caps   wire.Dict
		want   int
	}{
		{0, wire.Dict{}, 0},
		{70, wire.Dict{"quality": int64(20)}, 70},
		{0, wire.Dict{"quality": int64(20)}, 20},
		{0, wire.Dict{"encoding.quality": int64(33)}, 33},
		{0, wire.Dict{"quality": int64(-1)}, 0},
		{150, wire.Dict{}, 100},
	} {
		if got := pictureQuality(tc.server, tc.caps); got != tc.want {
			t.Errorf("server %d caps %v: %d, want %d", tc.server, tc.caps, got, tc.want)
		}
	}
}

func TestPluginOf(t *testing.T) {
	for enc, want := range map[string]string{"png": "png", "png/P": "png", "png/L": "png", "jpeg": "jpeg"} {
		if got := pluginOf(enc); got != want {
			t.Errorf("pluginOf(%q) = %q, want %q", enc, got, want)
		}
	}
}

func TestPictureSpeed(t *testing.T) {
	for _, tc := range []struct {
		server int
		caps   wire.Dict
		want   int
	}{
		{0, wire.Dict{}, 0},
		{70, wire.Dict{"speed": int64(20)}, 70},
		{0, wire.Dict{"speed": int64(20)}, 20},
		{0, wire.Dict{"encoding.speed": int64(33)}, 33},
		{150, wire.Dict{}, 100},
	} {
		if got := pictureSpeed(tc.server, tc.caps); got != tc.want {
			t.Errorf("server %d caps %v: %d, want %d", tc.server, tc.caps, got, tc.want)
		}
	}
}

// TestVideoEncodersOption: --video-encoders keeps the video encodings of
// the plugins it does not name out of the session, before any probing.
func TestVideoEncodersOption(t *testing.T) {
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: pluginhost.DefaultBuiltins()})
	t.Cleanup(func() { _ = host.Close() })
	log := slog.New(slog.DiscardHandler)
	const why = "not in --video-encoders"
	for _, tc := range []struct {
		list    []string
		blocked []string // video encodings refused by the option
	}{
		{[]string{"all"}, nil},
		{[]string{"none"}, []string{"h264", "vp8", "vp9"}},
		{[]string{"x264", "none"}, []string{"h264", "vp8", "vp9"}},
		{[]string{"x264"}, []string{"vp8", "vp9"}},
		{[]string{"vpx"}, []string{"h264"}},
		{[]string{"vpx", "x264"}, nil},
	} {
		u := newEncoderSet(host, nil, &config.Config{Encodings: []string{"all"}, VideoEncoders: tc.list}, log).unavailable()
		for _, enc := range []string{"h264", "vp8", "vp9"} {
			if blocked := u[enc] == why; blocked != slices.Contains(tc.blocked, enc) {
				t.Errorf("--video-encoders=%v: %s unavailable because %v", tc.list, enc, u[enc])
			}
		}
		if u["png"] == why {
			t.Errorf("--video-encoders=%v blocked png", tc.list)
		}
	}
}
