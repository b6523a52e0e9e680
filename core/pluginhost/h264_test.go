package pluginhost_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/sdk/encoder"
)

// moveBlock draws a 96x96 block at a place that moves with i, the rest of
// the frame as fillFrame left it: a small change per frame, as a window
// sees when something in it animates.
func moveBlock(f encoder.Frame, i int) {
	x0, y0 := (i*16)%(f.Width-96), (i*8)%(f.Height-96)
	for y := y0; y < y0+96; y++ {
		for x := x0; x < x0+96; x++ {
			o := y*f.Stride + x*4
			f.Pixels[o], f.Pixels[o+1], f.Pixels[o+2] = byte(i*7), 0x40, byte(255-i*7)
		}
	}
}

// TestX264Plugin: the plugin subprocess encodes a stream whose frame
// numbers and IDR flag survive the trip back over gRPC.
func TestX264Plugin(t *testing.T) {
	ctx := context.Background()
	e := pictureEncoder(t, ctx, "x264")
	f := newFrame(t, 320, 240)
	for i := range 3 {
		moveBlock(f, i)
		resp, err := e.Encode(ctx, &encoder.Request{Encoding: "h264", Frame: f, Quality: -1, Speed: -1,
			Options: map[string]any{"stream": "t/1"}})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(resp.Options["frame"]) != fmt.Sprint(i) || resp.Options["csc"] != "YUV420P" || (resp.Options["type"] == "IDR") != (i == 0) {
			t.Fatalf("frame %d: options %v", i, resp.Options)
		}
		if len(resp.Data) < 4 || resp.Data[0] != 0 || resp.Data[1] != 0 {
			t.Fatalf("frame %d: %d bytes, not an Annex B stream", i, len(resp.Data))
		}
	}
	if _, err := e.Encode(ctx, &encoder.Request{Encoding: "jpeg", Frame: f}); err == nil {
		t.Fatal("the x264 plugin accepted jpeg")
	}
}

// BenchmarkX264 encodes a stream of 1280x720 and 1920x1080 frames through
// the plugin subprocess (frames in shared memory): fps and bytes per frame.
func BenchmarkX264(b *testing.B) {
	ctx := context.Background()
	e := pictureEncoder(b, ctx, "x264")
	for _, sz := range []struct {
		name string
		w, h int
	}{{"720p", 1280, 720}, {"1080p", 1920, 1080}} {
		b.Run(sz.name, func(b *testing.B) {
			f := newFrame(b, sz.w, sz.h)
			var bytes, i int
			t0 := time.Now()
			for b.Loop() {
				moveBlock(f, i)
				i++
				r, err := e.Encode(ctx, &encoder.Request{Encoding: "h264", Frame: f, Quality: -1, Speed: -1,
					Options: map[string]any{"stream": "bench/" + sz.name}})
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(r.Data)
			}
			b.ReportMetric(float64(i)/time.Since(t0).Seconds(), "fps")
			b.ReportMetric(float64(bytes)/float64(max(i, 1)), "bytes/frame")
		})
	}
}

// TestVideoPluginCSC: a video plugin's csc attribute (what --csc-modules
// sets) picks its colourspace converter: its description lists those
// built in, fastest first, either one encodes, and a list with none of
// them stops the plugin from starting, with the reason.
func TestVideoPluginCSC(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"x264", "vpx"} {
		d, err := pluginhost.Describe(ctx, filepath.Join(pluginDir, pluginhost.BinaryName("encoder", name)), pluginhost.MinimalEnv())
		if err != nil {
			t.Fatal(err)
		}
		var def []any
		for _, a := range d.Schema.Attrs {
			if a.Name == "csc" {
				def, _ = a.Default.([]any)
			}
		}
		if len(def) == 0 || def[len(def)-1] != "go" {
			t.Errorf("%s: csc default %v, want the built-in converters ending with go", name, def)
		}
		enc := "h264"
		if name == "vpx" {
			enc = "vp8"
		}
		for _, csc := range [][]string{{"go"}, {"all"}, {"nosuch", "go"}} {
			h := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}})
			e, err := h.Encoder(ctx, pluginhost.Spec{Name: name, Block: cscBlock(name, csc...)})
			if err != nil {
				t.Fatalf("%s csc=%v: %v", name, csc, err)
			}
			f := newFrame(t, 160, 128)
			moveBlock(f, 1)
			if _, err := e.Encode(ctx, &encoder.Request{Encoding: enc, Frame: f, Quality: -1, Speed: -1,
				Options: map[string]any{"stream": "t/1"}}); err != nil {
				t.Errorf("%s csc=%v: %v", name, csc, err)
			}
			_ = h.Close()
		}
		h := pluginhost.New(pluginhost.Options{Dirs: []string{pluginDir}})
		_, err = h.Encoder(ctx, pluginhost.Spec{Name: name, Block: cscBlock(name, "nosuch")})
		_ = h.Close()
		if err == nil || !strings.Contains(err.Error(), "none of the colourspace converters nosuch") {
			t.Errorf("%s csc=nosuch: %v", name, err)
		}
	}
}

func cscBlock(name string, csc ...string) *config.PluginBlock {
	vals := make([]cty.Value, len(csc))
	for i, c := range csc {
		vals[i] = cty.StringVal(c)
	}
	return &config.PluginBlock{Kind: "encoder", Name: name, Attrs: map[string]config.PluginAttr{"csc": {Value: cty.ListVal(vals)}}}
}
