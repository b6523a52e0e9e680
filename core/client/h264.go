package client

/*
#cgo pkg-config: libavcodec libavutil
#cgo LDFLAGS: -lyuv
#include <libyuv/convert_argb.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>

typedef struct {
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
} xr_h264;

// codec: 0 h264, 8 vp8, 9 vp9.
static xr_h264 *xr_h264_new(int codec_id) {
	// Bad pictures come back as errors; libav would also print them.
	av_log_set_level(AV_LOG_QUIET);
	const AVCodec *codec = avcodec_find_decoder(codec_id == 8 ? AV_CODEC_ID_VP8 : codec_id == 9 ? AV_CODEC_ID_VP9 : AV_CODEC_ID_H264);
	if (!codec) return NULL;
	xr_h264 *d = calloc(1, sizeof(*d));
	if (!d) return NULL;
	d->ctx = avcodec_alloc_context3(codec);
	d->frame = av_frame_alloc();
	d->pkt = av_packet_alloc();
	if (!d->ctx || !d->frame || !d->pkt) goto fail;
	d->ctx->thread_count = 1;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	if (avcodec_open2(d->ctx, codec, NULL) < 0) goto fail;
	return d;
fail:
	avcodec_free_context(&d->ctx);
	av_frame_free(&d->frame);
	av_packet_free(&d->pkt);
	free(d);
	return NULL;
}

static void xr_h264_free(xr_h264 *d) {
	avcodec_free_context(&d->ctx);
	av_frame_free(&d->frame);
	av_packet_free(&d->pkt);
	free(d);
}

// Returns 0 with a frame in out (w*h BGRX), 1 when the decoder holds the
// frame back, -1 on a decoding error, -2 on a size mismatch, -3 on a
// pixel format other than 4:2:0.
static int xr_h264_decode(xr_h264 *d, const unsigned char *data, int len, unsigned char *out, int w, int h) {
	if (av_new_packet(d->pkt, len) < 0) return -1;
	memcpy(d->pkt->data, data, len);
	int rc = avcodec_send_packet(d->ctx, d->pkt);
	av_packet_unref(d->pkt);
	if (rc < 0) return -1;
	rc = avcodec_receive_frame(d->ctx, d->frame);
	if (rc == AVERROR(EAGAIN)) return 1;
	if (rc < 0) return -1;
	AVFrame *f = d->frame;
	int ret = 0;
	if (f->width != w || f->height != h) {
		ret = -2;
	} else if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
		ret = -3;
	} else {
		// libyuv's SIMD rows; its "ARGB" is B G R A in memory, the
		// BGRX the window paints, with alpha 255.
		int (*conv)(const uint8_t*, int, const uint8_t*, int, const uint8_t*, int, uint8_t*, int, int, int) =
			f->format == AV_PIX_FMT_YUVJ420P ? J420ToARGB : I420ToARGB;
		if (conv(f->data[0], f->linesize[0], f->data[1], f->linesize[1], f->data[2], f->linesize[2],
				out, w * 4, w, h) != 0) {
			ret = -1;
		}
	}
	av_frame_unref(f);
	return ret;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/xroam/xroam/core/wire"
)

// h264Decoder is one window's video stream decoder (libavcodec): h264,
// vp8 or vp9. The server restarts a stream with frame number 0, which
// resets it.
type h264Decoder struct {
	d      *C.xr_h264
	coding string
	w, h   int
}

// videoCodings are the video encodings libavcodec decodes here, with the
// codec number the C side takes.
var videoCodings = map[string]C.int{"h264": 0, "vp8": 8, "vp9": 9}

func newVideoDecoder(coding string, w, h int) (*h264Decoder, error) {
	id, ok := videoCodings[coding]
	if !ok {
		return nil, fmt.Errorf("video: encoding %q not supported", coding)
	}
	d := C.xr_h264_new(id)
	if d == nil {
		return nil, fmt.Errorf("%s: libavcodec has no usable %s decoder", coding, coding)
	}
	return &h264Decoder{d: d, coding: coding, w: w, h: h}, nil
}

func newH264Decoder(w, h int) (*h264Decoder, error) { return newVideoDecoder("h264", w, h) }

func (d *h264Decoder) close() {
	if d != nil && d.d != nil {
		C.xr_h264_free(d.d)
		d.d = nil
	}
}

// decode decodes one picture of the stream into a w x h BGRX buffer.
func (d *h264Decoder) decode(data []byte) ([]byte, error) {
	if len(data) == 0 || len(data) > 1<<28 {
		return nil, fmt.Errorf("%s: %d bytes of picture data", d.coding, len(data))
	}
	out := C.malloc(C.size_t(d.w * d.h * 4))
	if out == nil {
		return nil, fmt.Errorf("%s: no memory for the picture", d.coding)
	}
	defer C.free(out)
	rc := C.xr_h264_decode(d.d, (*C.uchar)(unsafe.Pointer(&data[0])), C.int(len(data)), (*C.uchar)(out), C.int(d.w), C.int(d.h))
	switch rc {
	case 0:
		return C.GoBytes(out, C.int(d.w*d.h*4)), nil
	case 1:
		return nil, fmt.Errorf("%s: the decoder held the picture back", d.coding)
	case -2:
		return nil, fmt.Errorf("%s: the picture is not %dx%d", d.coding, d.w, d.h)
	case -3:
		return nil, fmt.Errorf("%s: the picture is not 4:2:0", d.coding)
	}
	return nil, fmt.Errorf("%s: undecodable picture data", d.coding)
}

// decodeH264 decodes a window's h264 draw.
func (win *window) decodeH264(data []byte, w, h int, opts wire.Dict) ([]byte, error) {
	return win.decodeVideo("h264", data, w, h, opts)
}

// decodeVideo decodes a window's h264, vp8 or vp9 draw, (re)starting its
// decoder on a stream's first frame, a new size or a new encoding.
func (win *window) decodeVideo(coding string, data []byte, w, h int, opts wire.Dict) ([]byte, error) {
	if w <= 0 || h <= 0 || w > 8192 || h > 8192 {
		return nil, fmt.Errorf("bad %s size %dx%d", coding, w, h)
	}
	if csc := opts.Str("csc", "YUV420P"); csc != "YUV420P" {
		return nil, fmt.Errorf("%s: colourspace %q not supported", coding, csc)
	}
	if n := opts.Int("frame", -1); win.video == nil || n == 0 || win.video.coding != coding || win.video.w != w || win.video.h != h {
		win.video.close()
		win.video = nil
		d, err := newVideoDecoder(coding, w, h)
		if err != nil {
			return nil, err
		}
		win.video = d
	}
	return win.video.decode(data)
}
