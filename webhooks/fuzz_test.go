package webhooks_test

import (
	"encoding/json"
	"testing"

	"github.com/dailywebhooks/events/webhooks"
)

// FuzzWebhookJSON decodes arbitrary answers as Daily's webhook object: a
// value that decodes must encode and decode to the same webhook, but for
// its secrets, which encode redacted.
func FuzzWebhookJSON(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"u1","url":"https://x.example/hook","hmac":"c2VjcmV0","basicAuth":null,"retryType":"exponential","eventTypes":["participant.joined"],"state":"FAILED","failedCount":3,"lastMomentPushed":"2023-05-05T15:21:32.000Z","domainId":"d1","createdAt":"2023-05-04T10:00:00Z","updatedAt":"2023-05-05 15:21:32"}`,
		`{"lastMomentPushed":null,"createdAt":""}`, `{"createdAt":"yesterday"}`, `null`, `[]`, `{"eventTypes":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var w webhooks.Webhook
		if err := json.Unmarshal(data, &w); err != nil {
			return
		}
		out, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", w, err)
		}
		var again webhooks.Webhook
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("Unmarshal(Marshal(%s)) = %s: %v", data, out, err)
		}
		if again.UUID != w.UUID || again.URL != w.URL || again.HMAC != redacted(w.HMAC) || again.BasicAuth != redacted(w.BasicAuth) || again.State != w.State ||
			again.RetryType != w.RetryType || again.FailedCount != w.FailedCount || again.DomainID != w.DomainID || len(again.EventTypes) != len(w.EventTypes) ||
			!again.LastMomentPushed.Equal(w.LastMomentPushed) || !again.CreatedAt.Equal(w.CreatedAt) || !again.UpdatedAt.Equal(w.UpdatedAt) {
			t.Fatalf("round trip of %s: %+v, want %+v", data, again, w)
		}
	})
}

// redacted is what a secret encodes as.
func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}
