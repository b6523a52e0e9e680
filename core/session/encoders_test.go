package session

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/core/wire"
	"github.com/xroam/xroam/plugins/builtin"
	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

// TestEncoderSetWithoutPlugins: with no encoder binaries installed only
// the built-in rgb is advertised, and a client asking for png or jpeg
// gets rgb32 with the reason logged.
func TestEncoderSetWithoutPlugins(t *testing.T) {
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: builtin.Plugins()})
	t.Cleanup(func() { _ = host.Close() })
	log := slog.New(slog.DiscardHandler)
	es := newEncoderSet(context.Background(), host, nil, &config.Config{Encodings: []string{"all"}}, log)
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
	es = newEncoderSet(context.Background(), host, nil, &config.Config{Encodings: []string{"rgb"}}, log)
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

// raw is an encoder that sends a frame's pixels as they are, under the
// encodings it is made with, as a plugin from outside this repository
// could.
type raw []string

func (r raw) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: r, PixelFormats: []string{"BGRX"}}, nil
}

func (r raw) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	return &encoder.Response{Encoding: req.Encoding, Data: bytes.Clone(req.Frame.Pixels), Width: req.Frame.Width, Height: req.Frame.Height}, nil
}

// lists is an encoder plugin named name whose description lists encs.
func lists(name string, encs ...string) plugin.Encoder {
	return plugin.Encoder{Name: name, Version: "1", Encodings: encs,
		New: func(context.Context, schema.Values) (encoder.Encoder, error) { return raw(encs), nil }}
}

// TestEncoderSetAsksThePlugins: the session serves what the plugins'
// descriptions list, an encoding xroam never heard of included, from
// the plugin that lists it; an encoding of a disabled plugin is
// unavailable with the reason.
func TestEncoderSetAsksThePlugins(t *testing.T) {
	builtins := append(builtin.Plugins(), lists("thirdparty", "x-example"), lists("jpegish", "jpeg"), lists("off", "x-off"))
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: builtins})
	t.Cleanup(func() { _ = host.Close() })
	eff := config.New()
	if diags := eff.LoadSource("50-site.hcl", []byte("encoder \"off\" {\n  enabled = false\n}\n")); diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := context.Background()
	es := newEncoderSet(ctx, host, eff, &config.Config{Encodings: []string{"all"}}, slog.New(slog.DiscardHandler))
	if got, want := es.advertised(), []string{"rgb", "rgb32", "jpeg", "x-example"}; !slices.Equal(got, want) {
		t.Fatalf("advertised %v, want %v", got, want)
	}
	u := es.unavailable()
	if why, _ := u["x-off"].(string); !strings.Contains(why, `"off" is disabled`) || !strings.Contains(why, "50-site.hcl") {
		t.Errorf("x-off unavailable because %v", u["x-off"])
	}
	if why, _ := u["png"].(string); !strings.Contains(why, "no encoder plugin lists png") {
		t.Errorf("png unavailable because %v", u["png"])
	}
	caps := wire.Dict{"encoding": "x-example", "encodings": []any{"rgb32", "x-example"}}
	name, enc := es.choose(ctx, "auto", caps)
	if name != "x-example" || enc == nil {
		t.Fatalf("a client asking for x-example got %q %v", name, enc)
	}
	r, err := enc.Encode(ctx, &encoder.Request{Encoding: name, Frame: encoder.Frame{Width: 1, Height: 1, Stride: 4, Format: "BGRX", Pixels: []byte{1, 2, 3, 0}}})
	if err != nil || r.Encoding != "x-example" || !bytes.Equal(r.Data, []byte{1, 2, 3, 0}) {
		t.Fatalf("encode: %+v %v", r, err)
	}
	if name, enc := es.choose(ctx, "jpeg", wire.Dict{}); name != "jpeg" || enc == nil {
		t.Errorf("--encoding=jpeg got %q %v", name, enc)
	}
	if st := host.Status(); !slices.ContainsFunc(st, func(s pluginhost.Status) bool { return s.Name == "jpegish" }) {
		t.Errorf("jpeg did not start the plugin that lists it: %+v", st)
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

// videoBuiltins are the default built-ins with stand-ins for the video
// plugins, whose options these tests check without encoding.
func videoBuiltins() []plugin.Servable {
	return append(builtin.Plugins(), lists("x264", "h264"), lists("vpx", "vp8", "vp9"), lists("png", "png"))
}

// TestVideoEncodersOption: --video-encoders keeps the video encodings of
// the plugins it does not name out of the session, before they start.
func TestVideoEncodersOption(t *testing.T) {
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: videoBuiltins()})
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
		u := newEncoderSet(context.Background(), host, nil, &config.Config{Encodings: []string{"all"}, VideoEncoders: tc.list}, log).unavailable()
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

// TestCSCModulesOption: --csc-modules=none keeps the video encodings out,
// and a list reaches the video plugins' blocks as their csc attribute,
// over the block's own attributes, and no other plugin's.
func TestCSCModulesOption(t *testing.T) {
	host := pluginhost.New(pluginhost.Options{Dirs: []string{t.TempDir()}, Builtins: videoBuiltins()})
	t.Cleanup(func() { _ = host.Close() })
	log := slog.New(slog.DiscardHandler)
	cfg := func(csc ...string) *config.Config {
		return &config.Config{Encodings: []string{"all"}, VideoEncoders: []string{"all"}, CSCModules: csc}
	}
	u := newEncoderSet(context.Background(), host, nil, cfg("none"), log).unavailable()
	for _, enc := range []string{"h264", "vp8", "vp9"} {
		if why, _ := u[enc].(string); !strings.Contains(why, "--csc-modules=none") {
			t.Errorf("--csc-modules=none: %s unavailable because %v", enc, u[enc])
		}
	}
	if why, _ := u["png"].(string); strings.Contains(why, "csc") {
		t.Errorf("--csc-modules=none blocked png: %v", why)
	}

	eff := config.New()
	if diags := eff.LoadSource("50-site.hcl", []byte("encoder \"x264\" {\n  quality = 70\n}\n")); diags.HasErrors() {
		t.Fatal(diags)
	}
	es := newEncoderSet(context.Background(), host, eff, cfg("go", "libyuv"), log)
	b := es.block("h264")
	if b == nil || b.Attrs["quality"].Value.AsBigFloat().String() != "70" {
		t.Fatalf("the x264 block lost its quality: %+v", b)
	}
	if got := b.Attrs["csc"].Value.AsValueSlice(); len(got) != 2 || got[0].AsString() != "go" || got[1].AsString() != "libyuv" {
		t.Errorf("csc attribute %#v", b.Attrs["csc"].Value)
	}
	if b := es.block("vp8"); b == nil || b.Attrs["csc"].Value.LengthInt() != 2 {
		t.Errorf("vpx block %+v", b)
	}
	if b := es.block("png"); b != nil && b.Attrs["csc"].Value != cty.NilVal {
		t.Errorf("png got a csc attribute: %+v", b)
	}
	if b := newEncoderSet(context.Background(), host, eff, cfg("all"), log).block("h264"); b.Attrs["csc"].Value != cty.NilVal {
		t.Errorf("--csc-modules=all set a csc attribute: %+v", b)
	}
}
