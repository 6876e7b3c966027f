package sqlrecord

// convertSlice maps s element by element, keeping nil apart from empty.
func convertSlice[S ~[]E, E, T any](s S, f func(E) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, e := range s {
		out[i] = f(e)
	}
	return out
}

// convertMap maps the values of m, keeping nil apart from empty.
func convertMap[K comparable, V, T any](m map[K]V, f func(V) T) map[K]T {
	if m == nil {
		return nil
	}
	out := make(map[K]T, len(m))
	for k, v := range m {
		out[k] = f(v)
	}
	return out
}
