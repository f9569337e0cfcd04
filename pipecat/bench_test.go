package pipecat_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

// BenchmarkVerifyParse verifies and parses a typical Pipecat delivery
// (build.succeeded, 587 bytes compacted), and, as the baseline, a Daily
// delivery of the same size with the root package: the bar is a ratio of
// 1.2 at most.
func BenchmarkVerifyParse(b *testing.B) {
	sample, _ := eventstest.PipecatSample(pipecat.TypeBuildSucceeded)
	var compact bytes.Buffer
	if err := jsonCompact(&compact, sample); err != nil {
		b.Fatal(err)
	}
	body := compact.Bytes()
	b.Run("pipecat", func(b *testing.B) {
		secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		v, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}})
		id, ts, sig, _ := eventstest.PipecatSigner{Secret: secret, ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Time: time.Now()}.Sign(body)
		h := pipecat.Headers{ID: id, Timestamp: ts, Signature: sig}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(h, body); err != nil {
				b.Fatal(err)
			}
			if _, err := pipecat.Parse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("events", func(b *testing.B) {
		daily := dailyOfSize(b, len(body))
		secret, _ := events.NewSecret()
		v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig, _ := events.Sign(secret, ts, daily)
		b.SetBytes(int64(len(daily)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(daily, sig, ts); err != nil {
				b.Fatal(err)
			}
			if _, err := events.Parse(daily); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// dailyOfSize returns a participant.joined delivery padded, in its user
// name, to n bytes.
func dailyOfSize(b *testing.B, n int) []byte {
	sample, _ := eventstest.Sample(events.TypeParticipantJoined)
	var compact bytes.Buffer
	if err := jsonCompact(&compact, sample); err != nil {
		b.Fatal(err)
	}
	body := compact.Bytes()
	if pad := n - len(body); pad > 0 {
		body = bytes.Replace(body, []byte(`"user_name":"`), []byte(`"user_name":"`+string(bytes.Repeat([]byte("x"), pad))), 1)
	}
	if _, err := events.Parse(body); err != nil {
		b.Fatal(err)
	}
	return body
}

// jsonCompact is json.Compact.
var jsonCompact = func(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }
