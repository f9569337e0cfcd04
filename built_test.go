package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// forgetRaw clears every raw copy of JSON that v and the values in it
// keep, so that v marshals its typed fields as an event built in code does.
func forgetRaw(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			forgetRaw(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if v.Type().Field(i).Name == "raw" {
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
				f.Set(reflect.Zero(f.Type()))
				continue
			}
			if f.CanSet() {
				forgetRaw(f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			forgetRaw(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			forgetRaw(e)
			v.SetMapIndex(k, e)
		}
	}
}

// TestBuiltEventsMarshalAsDailySends builds every type's event in code from
// its sample's fields, and checks that json.Marshal gives the sample back:
// the same members and values, key order aside.
func TestBuiltEventsMarshalAsDailySends(t *testing.T) {
	for _, info := range catalogue {
		t.Run(string(info.typ), func(t *testing.T) {
			sample := readSample(t, info.typ)
			ev, err := Parse(sample)
			if err != nil {
				t.Fatal(err)
			}
			forgetRaw(reflect.ValueOf(ev))
			if ev.Raw() != nil {
				t.Fatal("the event still has its raw delivery")
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			decodeNumbers(t, sample, &want)
			decodeNumbers(t, out, &got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("json.Marshal of the event built in code (-sample +marshalled):\n%s", diff)
			}
		})
	}
}

func decodeNumbers(t *testing.T, b []byte, v *any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// readSample reads the sample delivery of typ, from eventstest's files.
func readSample(t *testing.T, typ Type) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("eventstest", "testdata", string(typ)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
