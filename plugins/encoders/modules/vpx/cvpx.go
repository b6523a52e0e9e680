package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t img;
	unsigned char *buf;
	size_t len, cap;
} xr_vpx;

// vp9 selects the codec; cpu is VP8E_SET_CPUUSED; minq/maxq bound the
// quantizer (0..63). Returns NULL when libvpx refuses the settings.
static xr_vpx *xr_vpx_open(int vp9, int w, int h, int cpu, int minq, int maxq, int threads) {
	vpx_codec_iface_t *iface = vp9 ? vpx_codec_vp9_cx() : vpx_codec_vp8_cx();
	vpx_codec_enc_cfg_t cfg;
	if (vpx_codec_enc_config_default(iface, &cfg, 0) != VPX_CODEC_OK) return NULL;
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 1000;
	cfg.g_lag_in_frames = 0;
	cfg.g_threads = threads;
	cfg.g_error_resilient = 0;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.rc_end_usage = VPX_Q;
	cfg.rc_min_quantizer = minq;
	cfg.rc_max_quantizer = maxq;
	cfg.rc_target_bitrate = 20000;
	cfg.kf_mode = VPX_KF_DISABLED;
	cfg.kf_max_dist = 0x7fffffff;
	xr_vpx *e = calloc(1, sizeof(*e));
	if (!e) return NULL;
	if (vpx_codec_enc_init(&e->ctx, iface, &cfg, 0) != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu);
	vpx_codec_control(&e->ctx, VP8E_SET_CQ_LEVEL, (minq + maxq) / 2);
	if (vp9) {
		vpx_codec_control(&e->ctx, VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_SCREEN);
		vpx_codec_control(&e->ctx, VP9E_SET_ROW_MT, 1);
		vpx_codec_control(&e->ctx, VP9E_SET_AQ_MODE, 0);
	} else {
		vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 0);
	}
	if (!vpx_img_alloc(&e->img, VPX_IMG_FMT_I420, w, h, 16)) {
		vpx_codec_destroy(&e->ctx);
		free(e);
		return NULL;
	}
	return e;
}

static void xr_vpx_close(xr_vpx *e) {
	vpx_codec_destroy(&e->ctx);
	vpx_img_free(&e->img);
	free(e->buf);
	free(e);
}

static unsigned char *xr_vpx_plane(xr_vpx *e, int i) { return e->img.planes[i]; }
static int xr_vpx_stride(xr_vpx *e, int i) { return e->img.stride[i]; }

// Encodes the image; the frames come back one after another in e->buf
// (e->len bytes). Returns 1 when a key frame is among them, 0 if not,
// -1 on an error, -2 when there is no memory.
static int xr_vpx_encode(xr_vpx *e, long long pts, int force_key) {
	e->len = 0;
	if (vpx_codec_encode(&e->ctx, &e->img, pts, 1, force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK) return -1;
	int key = 0;
	vpx_codec_iter_t it = NULL;
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		if (p->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		size_t n = p->data.frame.sz;
		if (e->len + n > e->cap) {
			size_t c = (e->len + n) * 2;
			unsigned char *b = realloc(e->buf, c);
			if (!b) return -2;
			e->buf = b;
			e->cap = c;
		}
		memcpy(e->buf + e->len, p->data.frame.buf, n);
		e->len += n;
		if (p->data.frame.flags & VPX_FRAME_IS_KEY) key = 1;
	}
	return key;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/xroam/xroam/plugins/encoders/modules/yuv"
	"github.com/xroam/xroam/sdk/encoder"
)

// vpxStream is one window's libvpx stream; its image lives in C memory
// and is filled in place.
type vpxStream struct {
	e    *C.xr_vpx
	w, h int

	frame  int64
	closed bool
}

func open(vp9 bool, w, h, q, speed int) (*vpxStream, error) {
	minq, maxq := quantizers(q)
	v := 0
	if vp9 {
		v = 1
	}
	e := C.xr_vpx_open(C.int(v), C.int(w), C.int(h), C.int(cpuUsed(vp9, speed)), C.int(minq), C.int(maxq), C.int(threads(vp9, w, h)))
	if e == nil {
		return nil, fmt.Errorf("vpx: libvpx cannot open a %dx%d encoder", w, h)
	}
	return &vpxStream{e: e, w: w, h: h}, nil
}

// Close frees the libvpx encoder; it is safe to call twice.
func (s *vpxStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	C.xr_vpx_close(s.e)
}

// encode converts f into the stream's image and encodes it; a stream's
// first picture is a key frame.
func (s *vpxStream) encode(f encoder.Frame, convert yuv.Func) ([]byte, bool, error) {
	w, h := s.w, s.h
	ys, us := int(C.xr_vpx_stride(s.e, 0)), int(C.xr_vpx_stride(s.e, 1))
	y := unsafe.Slice((*byte)(C.xr_vpx_plane(s.e, 0)), ys*h)
	u := unsafe.Slice((*byte)(C.xr_vpx_plane(s.e, 1)), us*h/2)
	v := unsafe.Slice((*byte)(C.xr_vpx_plane(s.e, 2)), int(C.xr_vpx_stride(s.e, 2))*h/2)
	convert(f.Pixels, f.Stride, w, h, y, ys, u, v, us)
	force := 0
	if s.frame == 0 {
		force = 1
	}
	rc := C.xr_vpx_encode(s.e, C.longlong(s.frame), C.int(force))
	switch {
	case rc == -2:
		return nil, false, errors.New("vpx: no memory for the compressed picture")
	case rc < 0:
		return nil, false, fmt.Errorf("vpx: encoding a %dx%d picture failed", w, h)
	}
	if s.e.len == 0 {
		return nil, false, fmt.Errorf("vpx: the encoder held the %dx%d picture back", w, h)
	}
	return C.GoBytes(unsafe.Pointer(s.e.buf), C.int(s.e.len)), rc == 1, nil
}
