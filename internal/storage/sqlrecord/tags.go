package sqlrecord

import "encoding/json"

// EncodeTags returns the JSON of the tags of a role (iam_roles.tags): "null" for nil and
// "{}" for empty, so the difference survives.
func EncodeTags(tags map[string]string) ([]byte, error) { return json.Marshal(tags) }

// DecodeTags is the inverse of EncodeTags.
func DecodeTags(b []byte) (map[string]string, error) {
	var tags map[string]string
	if err := json.Unmarshal(b, &tags); err != nil {
		return nil, err
	}
	return tags, nil
}
