package pluginhost_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/plugins/builtin"
	"github.com/xroam/xroam/sdk/encoder"
)

func TestNewEncoderTable(t *testing.T) {
	enc := func(name, state, why string, encs ...string) pluginhost.Entry {
		return pluginhost.Entry{Kind: "encoder", Name: name, State: state, Why: why, Encodings: encs}
	}
	on := pluginhost.StateEnabled
	for _, tc := range []struct {
		name    string
		entries []pluginhost.Entry
		want    map[string]string // encoding -> plugin, or "!" + part of the error
	}{
		{"one plugin serves what it lists",
			[]pluginhost.Entry{enc("png", on, "", "png", "png/P", "png/L")},
			map[string]string{"png": "png", "png/P": "png", "png/L": "png", "jpeg": "!no encoder plugin lists jpeg"}},
		{"the plugin named after the encoding wins, whatever the order",
			[]pluginhost.Entry{enc("apng", on, "", "png", "png/P"), enc("png", on, "", "png", "png/P"), enc("zpng", on, "", "png")},
			map[string]string{"png": "png", "png/P": "png"}},
		{"otherwise the first by name",
			[]pluginhost.Entry{enc("x264", on, "", "h264"), enc("openh264", on, "", "h264")},
			map[string]string{"h264": "openh264"}},
		{"a disabled plugin is skipped",
			[]pluginhost.Entry{enc("png", pluginhost.StateDisabled, "enabled = false at 50-site.hcl:1,1-6", "png"), enc("zpng", on, "", "png")},
			map[string]string{"png": "zpng"}},
		{"with no usable plugin, the reasons of each",
			[]pluginhost.Entry{
				enc("vpx", pluginhost.StateDisabled, "enabled = false at 50-site.hcl:1,1-6", "vp8", "vp9"),
				enc("libvpx", pluginhost.StateUnavailable, "no common plugin API version", "vp8"),
			},
			map[string]string{
				"vp8": `!encoder "libvpx" is unavailable (no common plugin API version)` + "\n" + `encoder "vpx" is disabled (enabled = false at 50-site.hcl:1,1-6)`,
				"vp9": `!encoder "vpx" is disabled (enabled = false at 50-site.hcl:1,1-6)`,
			}},
		{"other kinds serve no encoding",
			[]pluginhost.Entry{{Kind: "auth", Name: "png", State: on, Encodings: []string{"png"}}},
			map[string]string{"png": "!no encoder plugin lists png"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := pluginhost.NewEncoderTable(tc.entries)
			for encoding, want := range tc.want {
				got, err := table.Plugin(encoding)
				if why, bad := strings.CutPrefix(want, "!"); bad {
					if err == nil || !strings.Contains(err.Error(), why) || got != "" {
						t.Errorf("%s: %q, %v; want an error with %q", encoding, got, err, why)
					}
					continue
				}
				if err != nil || got != want {
					t.Errorf("%s: %q, %v; want %q", encoding, got, err, want)
				}
			}
			// Encodings lists what the entries claim, in name order.
			var claimed []string
			for _, e := range tc.entries {
				if e.Kind == "encoder" {
					claimed = append(claimed, e.Encodings...)
				}
			}
			slices.Sort(claimed)
			if got := table.Encodings(); !slices.Equal(got, slices.Compact(claimed)) {
				t.Errorf("Encodings() = %v, want %v", got, slices.Compact(claimed))
			}
		})
	}
	if _, err := (*pluginhost.EncoderTable)(nil).Plugin("png"); !errors.Is(err, pluginhost.ErrNotFound) {
		t.Errorf("a nil table: %v", err)
	}
}

// TestEncoderTableFromDescriptions: the host reads which encodings each
// encoder serves from the binaries' descriptions, so a third-party
// binary's new encoding is served with no change to the core; a disabled
// plugin's encodings carry the reason.
func TestEncoderTableFromDescriptions(t *testing.T) {
	ctx := testCtx(t)
	h := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}, Builtins: builtin.Plugins()})
	t.Cleanup(func() { _ = h.Close() })
	eff := config.New()
	if diags := eff.LoadSource("50-site.hcl", []byte("encoder \"vpx\" {\n  enabled = false\n}\n")); diags.HasErrors() {
		t.Fatal(diags)
	}
	table := h.EncoderTable(ctx, eff)
	for encoding, want := range map[string]string{
		"png": "png", "png/P": "png", "png/L": "png", "jpeg": "jpeg", "webp": "webp",
		"h264": "x264", "rgb24": "rgb", "rgb32": "rgb", "x-example": "example",
	} {
		if got, err := table.Plugin(encoding); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", encoding, got, err, want)
		}
	}
	for _, encoding := range []string{"vp8", "vp9"} {
		if _, err := table.Plugin(encoding); err == nil || !strings.Contains(err.Error(), `encoder "vpx" is disabled`) {
			t.Errorf("%s of the disabled vpx: %v", encoding, err)
		}
	}

	pl, _ := table.Plugin("x-example")
	e, err := h.Encoder(ctx, pluginhost.Spec{Name: pl})
	if err != nil {
		t.Fatal(err)
	}
	f := newFrame(t, 3, 2)
	r, err := e.Encode(ctx, &encoder.Request{Encoding: "x-example", Frame: f})
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for y := range 2 {
		for _, b := range f.Pixels[y*f.Stride : y*f.Stride+3*4] {
			want = append(want, ^b)
		}
	}
	if r.Encoding != "x-example" || !bytes.Equal(r.Data, want) {
		t.Errorf("the example plugin answered %s %x, want %x", r.Encoding, r.Data, want)
	}
}

// TestInventoryEncodingsFallback: a binary whose description lists no
// encodings (built before descriptions did) serves the encoding of its
// name, and one that cannot describe itself claims it with its reason.
func TestInventoryEncodingsFallback(t *testing.T) {
	dir := t.TempDir()
	script := map[string]string{
		"xroam-encoder-legacy": "#!/bin/sh\necho '{\"kind\":\"encoder\",\"name\":\"legacy\",\"version\":\"0.1\",\"api_versions\":[1]}'\n",
		"xroam-encoder-broken": "#!/bin/sh\nexit 3\n",
	}
	for name, body := range script {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries := pluginhost.Inventory(testCtx(t), []string{dir}, nil, nil, []int{1, 2})
	table := pluginhost.NewEncoderTable(entries)
	if got, err := table.Plugin("legacy"); err != nil || got != "legacy" {
		t.Errorf("legacy: %q, %v", got, err)
	}
	if _, err := table.Plugin("broken"); err == nil || !strings.Contains(err.Error(), `encoder "broken" is unavailable`) {
		t.Errorf("broken: %v", err)
	}
}
