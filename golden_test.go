package events_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/google/go-cmp/cmp"
)

// goldenFiles returns every golden delivery: the samples of eventstest, one
// per type, and the variants in testdata/variants.
func goldenFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"eventstest/testdata/*.json", "testdata/variants/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	return files
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonValue decodes b into generic JSON values, numbers kept as text, so
// that two documents compare by fields, values and JSON types, not by key
// order or whitespace.
func jsonValue(t testing.TB, b []byte) any {
	t.Helper()
	v, err := genericJSON(b)
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// testJSONRoundTrip checks that json.Marshal(v) gives back want: the same
// fields, values and JSON types, numbers compared by their text.
func testJSONRoundTrip(t *testing.T, v any, want []byte) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T) error: %v", v, err)
	}
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, got)); diff != "" {
		t.Errorf("json.Marshal(%T) mismatch (-want +got):\n%s", v, diff)
	}
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			raw := readFile(t, name)
			ev, err := events.Parse(raw)
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", name, err)
			}
			testJSONRoundTrip(t, ev, raw)
			if got := string(ev.Raw()); got != string(raw) {
				t.Errorf("Raw() = %q, want the delivery", got)
			}
		})
	}
}

// TestGoldenTypedFields checks that the typed fields alone hold every value
// of each golden delivery: the payload struct marshals to the delivery's
// payload, except for keys whose value is empty ("", false, 0 or null),
// which the structs may leave out or write where the delivery has none, and
// keys this package does not model, which the variants mark with
// "from_the_future".
func TestGoldenTypedFields(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			raw := readFile(t, name)
			ev, err := events.Parse(raw)
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", name, err)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			payload := reflect.ValueOf(ev).Elem().FieldByName("Payload").Interface()
			if _, ok := ev.(*events.Unknown); ok {
				testJSONRoundTrip(t, payload, doc["payload"])
				return
			}
			got, err := json.Marshal(payload)
			if err != nil {
				t.Fatal(err)
			}
			want := jsonValue(t, doc["payload"]).(map[string]any)
			typed := jsonValue(t, got).(map[string]any)
			empty := func(v any) bool { return v == "" || v == false || v == json.Number("0") || v == nil }
			for k, v := range want {
				if _, ok := typed[k]; ok {
					continue
				}
				if strings.Contains(k, "from_the_future") || empty(v) {
					delete(want, k)
				}
			}
			// A field the typed structs always write, such as owner, may
			// be zero where the delivery left it out.
			for k, v := range typed {
				if _, ok := want[k]; !ok && empty(v) {
					delete(typed, k)
				}
			}
			if diff := cmp.Diff(want, typed); diff != "" {
				t.Errorf("typed payload mismatch (-delivery +typed):\n%s", diff)
			}
			env := ev.Meta()
			envWant := map[string]any{"version": env.Version, "type": string(env.Type), "id": env.ID}
			for k, v := range envWant {
				if got := jsonValue(t, doc[k]); got != v {
					t.Errorf("envelope %s = %v, want %v", k, v, got)
				}
			}
			if got, want := env.EventTS.String(), string(doc["event_ts"]); strings.Trim(want, `"`) != got {
				t.Errorf("EventTS = %s, want %s", got, want)
			}
		})
	}
}

// TestRegistry checks that every Type constant has a Go type named by the
// package's rule, a golden delivery that parses to it, and a row in the
// table of docs/parsing.md.
func TestRegistry(t *testing.T) {
	readme := string(readFile(t, filepath.Join("docs", "parsing.md")))
	for _, typ := range events.Types() {
		t.Run(string(typ), func(t *testing.T) {
			raw := readFile(t, filepath.Join("eventstest", "testdata", string(typ)+".json"))
			ev, err := events.Parse(raw)
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			goName := goTypeName(typ)
			if got := reflect.TypeOf(ev).Elem().Name(); got != goName {
				t.Errorf("Parse gave *%s, want *%s", got, goName)
			}
			if got := ev.Meta().Type; got != typ {
				t.Errorf("Meta().Type = %q, want %q", got, typ)
			}
			if !typ.Known() || typ.SchemaVersion() == "" {
				t.Errorf("%q: Known() = %v, SchemaVersion() = %q", typ, typ.Known(), typ.SchemaVersion())
			}
			row := "| `" + string(typ) + "` | [`" + goName + "`]"
			if !strings.Contains(readme, row) {
				t.Errorf("docs/parsing.md has no row starting %q", row)
			}
			if ev.Meta().Newer() {
				t.Errorf("golden %s: Newer() = true, want false", typ)
			}
		})
	}
}

// goTypeName applies the naming rule: each word between dots and hyphens
// capitalised, then joined.
func goTypeName(typ events.Type) string {
	words := strings.FieldsFunc(string(typ), func(r rune) bool { return r == '.' || r == '-' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, "")
}

func TestTypesUnique(t *testing.T) {
	seen := map[events.Type]bool{}
	for _, typ := range events.Types() {
		if seen[typ] {
			t.Errorf("Types() lists %q twice", typ)
		}
		seen[typ] = true
	}
	if got := events.Type("no.such-type"); got.Known() || got.SchemaVersion() != "" {
		t.Errorf("unknown type: Known() = %v, SchemaVersion() = %q", got.Known(), got.SchemaVersion())
	}
}

// TestEventLogValue logs the sample of every type, and an Unknown, with
// slog: the record names the type, the ID and the room, and shows neither
// the body nor a participant's name.
func TestEventLogValue(t *testing.T) {
	bodies := map[string][]byte{"unknown": []byte(`{"version":"1.0.0","type":"brand.new","id":"n-1","payload":{"user_name":"Secret Person"},"event_ts":1708526033}`)}
	for _, typ := range events.Types() {
		b, _ := eventstest.Sample(typ)
		bodies[string(typ)] = b
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			ev, err := events.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("got", "event", ev)
			var rec struct {
				Event map[string]any `json:"event"`
			}
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("%v: %s", err, buf.Bytes())
			}
			env := ev.Meta()
			if rec.Event["type"] != string(env.Type) || rec.Event["id"] != env.ID {
				t.Errorf("logged %v, want type %s and id %s", rec.Event, env.Type, env.ID)
			}
			if room := events.RoomName(ev); room != "" && rec.Event["room"] != room {
				t.Errorf("logged %v, want room %q", rec.Event, room)
			}
			if env.EventTS.Valid() && rec.Event["event_ts"] == nil {
				t.Errorf("logged %v, want the event time", rec.Event)
			}
			var p struct {
				Payload struct {
					UserName string `json:"user_name"`
				} `json:"payload"`
			}
			json.Unmarshal(body, &p)
			if n := p.Payload.UserName; n != "" && strings.Contains(buf.String(), n) {
				t.Errorf("the log shows the user name %q: %s", n, buf.String())
			}
		})
	}
}
