package selection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"

	"github.com/xroam/xroam/core/x11"
)

// Data is the contents of a selection converted to one target,
// as X carries it: a type name, a format (8, 16 or 32 bits per item) and
// the items in the connection's byte order (little-endian). A list of
// atoms (TARGETS) travels as names in Atoms instead.
type Data struct {
	Type   string
	Format int
	Data   []byte
	Atoms  []string
}

// EventKind says what a Event reports.
type EventKind int

// The selection events.
const (
	// OwnerChanged: a local application took the selection.
	OwnerChanged EventKind = iota + 1
	// Wanted: a local application asks for the contents of a
	// selection claimed with Claim; answer it with Answer(ID, ...).
	Wanted
)

// Event is something that happened to a selection.
type Event struct {
	Kind      EventKind
	Selection string
	Target    string
	ID        uint64
}

// Config configures Open.
type Config struct {
	// Selections to watch: CLIPBOARD, PRIMARY, SECONDARY.
	Selections []string
	// MaxBytes bounds one transfer, both ways (default 64 MiB).
	MaxBytes int
	// Timeout bounds the wait for a local owner's answer, for Answer
	// after a Wanted event, and between two chunks of an
	// incremental transfer (default 5s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Errors of the selection code.
var (
	ErrRefused = errors.New("the selection owner refused the conversion")
	ErrTimeout = errors.New("the selection owner did not answer in time")
	ErrTooBig  = errors.New("selection contents exceed the size limit")
	ErrOwned   = errors.New("the selection is held for the remote peer")
	ErrClosed  = errors.New("selection connection closed")
)

// Conn owns and reads X selections on one display through its own
// connection and one event goroutine. It never waits on a local
// application without a timeout, so a slow or dead one costs at most
// Timeout.
type Conn struct {
	c        *xgb.Conn
	win      xproto.Window
	cfg      Config
	log      *slog.Logger
	maxChunk int
	events   chan Event
	done     chan struct{}

	atomTargets, atomTimestamp, atomIncr, atomMultiple xproto.Atom

	amu   sync.Mutex
	atoms map[string]xproto.Atom
	names map[xproto.Atom]string

	mu       sync.Mutex
	watched  map[xproto.Atom]bool
	owned    map[xproto.Atom]*selClaim
	wanted   map[uint64]*selWanted
	nextID   uint64
	reads    map[xproto.Atom]*selRead
	freeProp []xproto.Atom
	propSeq  int
	sends    map[selSendKey]*selSend
	lastTime xproto.Timestamp
	closed   bool
}

type selClaim struct {
	targets []string
	time    xproto.Timestamp
}

type selWanted struct {
	requestor            xproto.Window
	selection, target    xproto.Atom
	property             xproto.Atom
	time                 xproto.Timestamp
	timer                *time.Timer
	selName, targetLabel string
}

type selRead struct {
	selection, target xproto.Atom
	incr              bool
	typ               xproto.Atom
	format            byte
	buf               []byte
	progress          chan struct{}
	done              chan selResult
}

type selResult struct {
	data *Data
	err  error
}

type selSendKey struct {
	win  xproto.Window
	prop xproto.Atom
}

// selSend is an incremental (INCR) transfer to a local requestor.
type selSend struct {
	typ    xproto.Atom
	format byte
	data   []byte
	off    int
	timer  *time.Timer
}

// Open connects to display and starts watching cfg.Selections.
// It ends when ctx ends or with Close.
func Open(ctx context.Context, display string, cfg Config) (*Conn, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if len(cfg.Selections) == 0 {
		cfg.Selections = []string{"CLIPBOARD", "PRIMARY"}
	}
	n, err := x11.ParseDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("selections: %w", err)
	}
	x, err := x11.Connect(ctx, display, n)
	if err != nil {
		return nil, fmt.Errorf("selections on %s: %w", display, err)
	}
	x.Keep()
	s := &Conn{
		c: x.X, cfg: cfg, log: cfg.Logger,
		events: make(chan Event, 128), done: make(chan struct{}),
		atoms: map[string]xproto.Atom{}, names: map[xproto.Atom]string{},
		watched: map[xproto.Atom]bool{}, owned: map[xproto.Atom]*selClaim{}, wanted: map[uint64]*selWanted{},
		reads: map[xproto.Atom]*selRead{}, sends: map[selSendKey]*selSend{},
	}
	// xgb does not use BIG-REQUESTS: one ChangeProperty must fit the core
	// maximum request length (in 4-byte units), header included.
	s.maxChunk = min(int(x.Setup.MaximumRequestLength)*4-64, 256<<10) &^ 3
	if err := s.setup(x.Screen); err != nil {
		s.c.Close()
		return nil, fmt.Errorf("selections on %s: %w", display, err)
	}
	go s.loop()
	context.AfterFunc(ctx, s.Close)
	return s, nil
}

func (s *Conn) setup(screen *xproto.ScreenInfo) error {
	win, err := xproto.NewWindowId(s.c)
	if err != nil {
		return err
	}
	s.win = win
	if err := xproto.CreateWindowChecked(s.c, 0, win, screen.Root, -10, -10, 1, 1, 0, xproto.WindowClassInputOnly,
		screen.RootVisual, xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return fmt.Errorf("create window: %w", err)
	}
	for i, name := range []string{"TARGETS", "TIMESTAMP", "INCR", "MULTIPLE"} {
		a, err := s.atom(name)
		if err != nil {
			return err
		}
		*[]*xproto.Atom{&s.atomTargets, &s.atomTimestamp, &s.atomIncr, &s.atomMultiple}[i] = a
	}
	xfixesOK := initXFixes(s.c) == nil
	if xfixesOK {
		if _, err := xfixes.QueryVersion(s.c, 5, 0).Reply(); err != nil {
			xfixesOK = false
		}
	}
	if !xfixesOK {
		s.log.Warn("no XFIXES on the display: local selection changes will not be noticed")
	}
	for _, name := range s.cfg.Selections {
		a, err := s.atom(name)
		if err != nil {
			return err
		}
		s.watched[a] = true
		if xfixesOK {
			mask := uint32(xfixes.SelectionEventMaskSetSelectionOwner | xfixes.SelectionEventMaskSelectionWindowDestroy | xfixes.SelectionEventMaskSelectionClientClose)
			if err := xfixes.SelectSelectionInputChecked(s.c, win, a, mask).Check(); err != nil {
				return fmt.Errorf("watch %s: %w", name, err)
			}
		}
	}
	return nil
}

// initXFixes is xfixes.Init without its write to xgb's process-wide event
// table when an earlier connection to the same kind of server filled it
// already: other connections' reader goroutines read that table without a
// lock, so a second Init while they run is a data race (a crash, at
// worst, in a server whose window manager is busy).
func initXFixes(c *xgb.Conn) error {
	r, err := xproto.QueryExtension(c, 6, "XFIXES").Reply()
	if err != nil {
		return err
	}
	if !r.Present {
		return errors.New("no XFIXES extension")
	}
	want := xgb.NewExtEventFuncs["XFIXES"][xfixes.SelectionNotify]
	if have, ok := xgb.NewEventFuncs[int(r.FirstEvent)+xfixes.SelectionNotify]; ok && want != nil &&
		reflect.ValueOf(have).Pointer() == reflect.ValueOf(want).Pointer() {
		c.ExtLock.Lock()
		c.Extensions["XFIXES"] = r.MajorOpcode
		c.ExtLock.Unlock()
		return nil
	}
	return xfixes.Init(c)
}

// Events delivers owner changes and requests; it is closed when the
// connection ends. A request that cannot be queued is refused.
func (s *Conn) Events() <-chan Event { return s.events }

// Done is closed when the connection has ended.
func (s *Conn) Done() <-chan struct{} { return s.done }

// Close ends the connection.
func (s *Conn) Close() { s.c.Close() }

func (s *Conn) atom(name string) (xproto.Atom, error) {
	s.amu.Lock()
	a, ok := s.atoms[name]
	s.amu.Unlock()
	if ok {
		return a, nil
	}
	r, err := xproto.InternAtom(s.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("intern atom %q: %w", name, err)
	}
	s.amu.Lock()
	s.atoms[name], s.names[r.Atom] = r.Atom, name
	s.amu.Unlock()
	return r.Atom, nil
}

func (s *Conn) atomName(a xproto.Atom) string {
	if a == 0 {
		return ""
	}
	s.amu.Lock()
	n, ok := s.names[a]
	s.amu.Unlock()
	if ok {
		return n
	}
	r, err := xproto.GetAtomName(s.c, a).Reply()
	if err != nil {
		return "atom-" + strconv.Itoa(int(a))
	}
	s.amu.Lock()
	s.names[a], s.atoms[r.Name] = r.Name, a
	s.amu.Unlock()
	return r.Name
}

// Claim makes this connection the owner of selection on behalf of the
// remote peer. targets may be empty when the peer did not say; a TARGETS
// request is then forwarded like any other.
func (s *Conn) Claim(selection string, targets []string) error {
	a, err := s.atom(selection)
	if err != nil {
		return err
	}
	if err := xproto.SetSelectionOwnerChecked(s.c, s.win, a, xproto.TimeCurrentTime).Check(); err != nil {
		return fmt.Errorf("claim %s: %w", selection, err)
	}
	r, err := xproto.GetSelectionOwner(s.c, a).Reply()
	if err != nil {
		return fmt.Errorf("claim %s: %w", selection, err)
	}
	if r.Owner != s.win {
		return fmt.Errorf("claim %s: another client took it first", selection)
	}
	s.mu.Lock()
	s.owned[a] = &selClaim{targets: slices.Clone(targets), time: s.lastTime}
	s.mu.Unlock()
	return nil
}

// Release gives up a selection claimed with Claim.
func (s *Conn) Release(selection string) error {
	a, err := s.atom(selection)
	if err != nil {
		return err
	}
	s.mu.Lock()
	_, ok := s.owned[a]
	delete(s.owned, a)
	s.mu.Unlock()
	if ok {
		xproto.SetSelectionOwner(s.c, xproto.WindowNone, a, xproto.TimeCurrentTime)
	}
	return nil
}

// Owned reports whether selection is claimed for the remote peer.
func (s *Conn) Owned(selection string) bool {
	a, err := s.atom(selection)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owned[a] != nil
}

func (s *Conn) emit(ev Event) bool {
	select {
	case s.events <- ev:
		return true
	default:
		s.log.Warn("selection events queue full: event dropped", "selection", ev.Selection, "kind", ev.Kind)
		return false
	}
}

func (s *Conn) loop() {
	defer s.shutdown()
	for {
		ev, err := s.c.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		if err != nil {
			// A requestor that went away turns our replies into
			// BadWindow errors: nothing to do about them.
			s.log.Debug("selection X error", "err", err)
			continue
		}
		switch e := ev.(type) {
		case xfixes.SelectionNotifyEvent:
			s.noteTime(e.Timestamp)
			if e.Subtype != xfixes.SelectionEventSetSelectionOwner || e.Owner == s.win || e.Owner == 0 || !s.watched[e.Selection] {
				continue
			}
			s.mu.Lock()
			delete(s.owned, e.Selection)
			s.mu.Unlock()
			s.emit(Event{Kind: OwnerChanged, Selection: s.atomName(e.Selection)})
		case xproto.SelectionClearEvent:
			s.mu.Lock()
			delete(s.owned, e.Selection)
			s.mu.Unlock()
		case xproto.SelectionRequestEvent:
			s.noteTime(e.Time)
			s.onRequest(e)
		case xproto.SelectionNotifyEvent:
			s.onConverted(e)
		case xproto.PropertyNotifyEvent:
			s.noteTime(e.Time)
			if e.Window == s.win {
				if e.State == xproto.PropertyNewValue {
					s.onIncrChunk(e.Atom)
				}
			} else if e.State == xproto.PropertyDelete {
				s.onSendNext(selSendKey{e.Window, e.Atom})
			}
		}
	}
}

func (s *Conn) noteTime(t xproto.Timestamp) {
	if t == 0 {
		return
	}
	s.mu.Lock()
	s.lastTime = t
	s.mu.Unlock()
}

// shutdown fails what is pending once the connection is gone.
func (s *Conn) shutdown() {
	s.mu.Lock()
	s.closed = true
	for p, r := range s.reads {
		delete(s.reads, p)
		r.finish(nil, ErrClosed)
	}
	for id, w := range s.wanted {
		w.timer.Stop()
		delete(s.wanted, id)
	}
	for k, sd := range s.sends {
		sd.timer.Stop()
		delete(s.sends, k)
	}
	s.mu.Unlock()
	close(s.events)
	close(s.done)
}

func (r *selRead) finish(d *Data, err error) {
	select {
	case r.done <- selResult{d, err}:
	default:
	}
}
