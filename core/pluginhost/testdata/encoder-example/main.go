// Command encoder-example is an encoder plugin as a third party would
// write one, against the SDK alone: it serves an encoding xroam does not
// know, "x-example" (the pixels inverted), which its description lists.
package main

import (
	"context"
	"fmt"

	"github.com/xroam/xroam/sdk/encoder"
	"github.com/xroam/xroam/sdk/plugin"
	"github.com/xroam/xroam/sdk/schema"
)

func main() {
	plugin.Serve(plugin.Encoder{Name: "example", Version: "1.0.0", Encodings: []string{"x-example"},
		New: func(context.Context, schema.Values) (encoder.Encoder, error) { return inverter{}, nil }})
}

type inverter struct{}

func (inverter) Info(context.Context) (*encoder.Info, error) {
	return &encoder.Info{Encodings: []string{"x-example"}, PixelFormats: []string{"BGRX"}}, nil
}

func (inverter) Encode(_ context.Context, req *encoder.Request) (*encoder.Response, error) {
	f := req.Frame
	if req.Encoding != "x-example" || f.Format != "BGRX" || f.Width <= 0 || f.Height <= 0 ||
		f.Stride < f.Width*4 || len(f.Pixels) < f.Stride*(f.Height-1)+f.Width*4 {
		return nil, fmt.Errorf("example: cannot encode %s of a %dx%d %s frame", req.Encoding, f.Width, f.Height, f.Format)
	}
	out := make([]byte, 0, f.Width*4*f.Height)
	for y := range f.Height {
		for _, b := range f.Pixels[y*f.Stride : y*f.Stride+f.Width*4] {
			out = append(out, ^b)
		}
	}
	return &encoder.Response{Encoding: req.Encoding, Data: out, Width: f.Width, Height: f.Height}, nil
}
