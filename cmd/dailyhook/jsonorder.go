package main

import (
	"bytes"
	"encoding/json"
	"slices"
)

// A member is one key of a JSON object, with its value as written.
type member struct {
	key   string
	value json.RawMessage
}

// members returns the members of the JSON object raw, in their order.
func members(raw []byte) ([]member, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	var out []member
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{tok.(string), v})
	}
	return out, nil
}

// elements returns the elements of the JSON array raw.
func elements(raw []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := json.Unmarshal(raw, &out)
	return out, err
}

// keyOrder records in order the key order of each object of raw, by its
// path: "" for the top, "payload", "payload.tracks[]" and so on.
func keyOrder(raw []byte, path string, order map[string][]string) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		ms, err := members(raw)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if !slices.Contains(order[path], m.key) {
				order[path] = append(order[path], m.key)
			}
			if err := keyOrder(m.value, path+"."+m.key, order); err != nil {
				return err
			}
		}
	case len(raw) > 0 && raw[0] == '[':
		es, err := elements(raw)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := keyOrder(e, path+"[]", order); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeOrdered writes raw compactly to out, with the keys of each object
// in the order recorded for its path, and the others after them in their
// own order. Scalars are written as they are.
func writeOrdered(out *bytes.Buffer, raw []byte, path string, order map[string][]string) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		ms, err := members(raw)
		if err != nil {
			return err
		}
		rank := func(k string) int {
			if i := slices.Index(order[path], k); i >= 0 {
				return i
			}
			return len(order[path])
		}
		slices.SortStableFunc(ms, func(a, b member) int { return rank(a.key) - rank(b.key) })
		out.WriteByte('{')
		for i, m := range ms {
			if i > 0 {
				out.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			out.Write(k)
			out.WriteByte(':')
			if err := writeOrdered(out, m.value, path+"."+m.key, order); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case len(raw) > 0 && raw[0] == '[':
		es, err := elements(raw)
		if err != nil {
			return err
		}
		out.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeOrdered(out, e, path+"[]", order); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	default:
		return json.Compact(out, raw)
	}
	return nil
}
