package events

import (
	"bytes"
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
		{"200 KiB declared and sent", 200 << 10, 200 << 10, 1 << 20, 256 << 10},
		{"200 KiB chunked", 200 << 10, -1, 1 << 20, 1<<20 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tt.sent)
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.ContentLength = tt.declared
			got, err := readBody(r, tt.limit)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("readBody = %d bytes, %v; want the %d sent", len(got), err, tt.sent)
			}
			if cap(got) > tt.maxCap {
				t.Errorf("buffer of %d bytes for %d sent, want at most %d", cap(got), tt.sent, tt.maxCap)
			}
		})
	}
}
