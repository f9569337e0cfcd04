package events

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
)

// TestReadBodyMemory checks that readBody allocates for what arrives, not
// for what a request declares, and still reads large bodies whole.
func TestReadBodyMemory(t *testing.T) {
	tests := []struct {
		name     string
		sent     int
		declared int64
		limit    int64
		maxCap   int
	}{
		{"declares 1 MiB, sends 100 bytes", 100, 1 << 20, 2 << 20, initialBodyBuffer + 1},
		{"small body, exact buffer", 700, 700, 1 << 20, 701},
		{"200 KiB declared and sent", 200 << 10, 200 << 10, 1 << 20, 200<<10 + 1},
		{"200 KiB chunked", 200 << 10, -1, 1 << 20, 2 * (200<<10 + 1)},
		{"1 MiB declared and sent, at the limit", 1 << 20, 1 << 20, 1 << 20, 1<<20 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tt.sent)
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.ContentLength = tt.declared
			got, err := readBody(r, tt.limit, NewBodyBudget(DefaultBodyBudget))
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("readBody = %d bytes, %v; want the %d sent", len(got), err, tt.sent)
			}
			if cap(got) > tt.maxCap {
				t.Errorf("buffer of %d bytes for %d sent, want at most %d", cap(got), tt.sent, tt.maxCap)
			}
		})
	}
}

// stalled sends its bytes, then records how much room the reader offered
// for more, and fails, as a connection that stops sending and times out.
type stalled struct {
	data []byte
	room int // len(p) of the first Read after the data ran out
}

var errStalled = errors.New("stalled")

func (s *stalled) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		s.room = len(p)
		return 0, errStalled
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestReadBodyPartialMemory checks the memory a partial body holds while
// it waits for more: at most twice the bytes received, plus the initial
// buffer, whatever the request declares. Before the fix, the buffer
// jumped to the declared length once 64 KiB and one byte had arrived.
func TestReadBodyPartialMemory(t *testing.T) {
	tests := []struct {
		name     string
		sent     int
		declared int64
	}{
		{"declares 1 MiB, sends 64 KiB", 64 << 10, 1 << 20},
		{"declares 1 MiB, sends 64 KiB and a byte", 64<<10 + 1, 1 << 20},
		{"declares 1 MiB, sends 100 KiB", 100 << 10, 1 << 20},
		{"declares 10 MiB, sends 300 KiB", 300 << 10, 10 << 20},
		{"chunked, sends 300 KiB", 300 << 10, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &stalled{data: bytes.Repeat([]byte("x"), tt.sent)}
			r := httptest.NewRequest("POST", "/", io.NopCloser(src))
			r.ContentLength = tt.declared
			if _, err := readBody(r, 16<<20, NewBodyBudget(64<<20)); !errors.Is(err, ErrBodyRead) || !errors.Is(err, errStalled) {
				t.Fatalf("readBody = %v, want ErrBodyRead wrapping the read error", err)
			}
			held := tt.sent + src.room
			if limit := 2*tt.sent + initialBodyBuffer + 1; held > limit {
				t.Errorf("a buffer of %d bytes for %d received, want at most %d", held, tt.sent, limit)
			}
		})
	}
}
