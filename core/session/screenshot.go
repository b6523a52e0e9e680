package session

import (
	"bytes"
	"errors"
	"image"
	"image/png"

	"github.com/xroam/xroam/core/geom"
)

// screenshot is the area covered by the session's windows as a PNG, what
// xpra's screenshot request returns; no windows gives a 0x0 answer.
func (ww *windowsSubsystem) screenshot() (w, h int, data []byte, err error) {
	ws := ww.current()
	if ws == nil {
		return 0, 0, nil, errors.New("this session does not manage windows")
	}
	var box geom.Rect
	for _, mw := range ws.wm.Windows() {
		box = box.Union(geom.Rect{X: mw.X + mw.BorderWidth, Y: mw.Y + mw.BorderWidth, W: mw.Width, H: mw.Height})
	}
	// Windows partly off screen: keep what the screen has.
	if box.X < 0 {
		box.W += box.X
		box.X = 0
	}
	if box.Y < 0 {
		box.H += box.Y
		box.Y = 0
	}
	if box.Empty() {
		return 0, 0, nil, nil
	}
	bgrx, err := ws.wm.CaptureScreen(box)
	if err != nil {
		return 0, 0, nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, box.W, box.H))
	for i := 0; i+3 < len(bgrx); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bgrx[i+2], bgrx[i+1], bgrx[i], 0xff
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return 0, 0, nil, err
	}
	return box.W, box.H, buf.Bytes(), nil
}
