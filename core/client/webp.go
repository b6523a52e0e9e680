package client

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"github.com/gen2brain/webp"
)

// decodeWebP decodes a still WebP picture of at most width x height.
// gen2brain/webp's Decode hands back 4:2:0 YCbCr even for a lossless
// picture, which would lose the exact colours; DecodeAll gives RGBA.
// It allocates for every frame of an animation, so animations (which no
// draw carries) are refused from the header before decoding.
func decodeWebP(data []byte, width, height int) (img image.Image, err error) {
	// gen2brain/webp indexes its input before checking it (an empty
	// picture panics in its libwebp path): bad bytes from the network
	// must come back as an error.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("malformed picture (%v)", r)
		}
	}()
	// "RIFF" size "WEBP", then the first chunk; VP8X's flags say "animated".
	if len(data) < 20 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errors.New("not a WebP picture")
	}
	if len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0 {
		return nil, errors.New("an animated picture")
	}
	if err := fits(webp.DecodeConfig, data, width, height); err != nil {
		return nil, err
	}
	all, err := webp.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if len(all.Image) != 1 {
		return nil, fmt.Errorf("%d frames in a still picture", len(all.Image))
	}
	return all.Image[0], nil
}
