package model

import (
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Augmentation (TrainOptions.Augment): customers mistype, so the trainer
// may add copies of each training example with one slip each — a letter
// dropped, doubled or swapped with its neighbour, or (in a message of
// four words or more) a word left out. The copies are made from the seed,
// so training stays deterministic; dev data is never augmented.

// augment returns exs followed by n noisy copies of each example.
func augment(exs []Example, n int, seed uint64) []Example {
	if n <= 0 {
		return exs
	}
	rng := rand.New(rand.NewPCG(seed, 0xa0a0a0a0))
	out := make([]Example, 0, len(exs)*(n+1))
	out = append(out, exs...)
	for _, ex := range exs {
		for range n {
			t := slip(ex.Text, rng)
			if t != ex.Text {
				c := ex
				c.Text = t
				out = append(out, c)
			}
		}
	}
	return out
}

// slip makes one typing slip in text.
func slip(text string, rng *rand.Rand) string {
	words := strings.Fields(text)
	if len(words) >= 4 && rng.IntN(4) == 0 {
		i := rng.IntN(len(words))
		return strings.Join(append(words[:i:i], words[i+1:]...), " ")
	}
	rs := []rune(text)
	var letters []int
	for i, r := range rs {
		if unicode.IsLetter(r) {
			letters = append(letters, i)
		}
	}
	if len(letters) < 3 {
		return text
	}
	i := letters[rng.IntN(len(letters))]
	switch rng.IntN(3) {
	case 0: // dropped
		rs = append(rs[:i:i], rs[i+1:]...)
	case 1: // doubled
		rs = append(rs[:i+1:i+1], rs[i:]...)
	default: // swapped with the next letter
		if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			rs[i], rs[i+1] = rs[i+1], rs[i]
		}
	}
	if !utf8.ValidString(string(rs)) {
		return text
	}
	return string(rs)
}
