package model

import (
	"unicode"
	"unicode/utf8"
)

// Scripts. A model knows the writing systems of its in-scope training
// text (Manifest.Scripts); a message written mostly in any other script is
// in no language the model understands, so it is never given a confident
// intent (see gate). Only letters count: digits, punctuation and emoji
// belong to every script.

// knownScripts are the scripts a letter is looked up in, most common
// first; a letter in none of them is in ScriptOther.
var knownScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Han", unicode.Han}, {"Cyrillic", unicode.Cyrillic},
	{"Arabic", unicode.Arabic}, {"Hiragana", unicode.Hiragana}, {"Katakana", unicode.Katakana},
	{"Hangul", unicode.Hangul}, {"Thai", unicode.Thai}, {"Greek", unicode.Greek},
	{"Hebrew", unicode.Hebrew}, {"Devanagari", unicode.Devanagari}, {"Bengali", unicode.Bengali},
	{"Tamil", unicode.Tamil}, {"Telugu", unicode.Telugu}, {"Georgian", unicode.Georgian},
	{"Armenian", unicode.Armenian}, {"Ethiopic", unicode.Ethiopic}, {"Gujarati", unicode.Gujarati},
	{"Gurmukhi", unicode.Gurmukhi}, {"Kannada", unicode.Kannada}, {"Malayalam", unicode.Malayalam},
	{"Sinhala", unicode.Sinhala}, {"Khmer", unicode.Khmer}, {"Lao", unicode.Lao},
	{"Myanmar", unicode.Myanmar}, {"Tibetan", unicode.Tibetan},
}

// ScriptOther names the script of a letter in none of knownScripts.
const ScriptOther = "Other"

// scriptIndex returns the index in knownScripts of a letter's script,
// len(knownScripts) for ScriptOther, or -1 for a rune that is not a letter.
func scriptIndex(r rune) int {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return 0
		}
		return -1
	}
	if !unicode.IsLetter(r) {
		return -1
	}
	// The blocks of the default model's scripts first, without a table
	// search (indexes into knownScripts).
	switch {
	case r >= 0x00C0 && r <= 0x024F || r >= 0x1E00 && r <= 0x1EFF:
		return 0 // Latin
	case r >= 0x4E00 && r <= 0x9FFF:
		return 1 // Han
	case r >= 0x0400 && r <= 0x04FF:
		return 2 // Cyrillic
	case r >= 0x0620 && r <= 0x063F || r >= 0x0641 && r <= 0x064A || r >= 0x066E && r <= 0x06D3:
		return 3 // Arabic
	case r >= 0x3041 && r <= 0x3096:
		return 4 // Hiragana
	case r >= 0x30A1 && r <= 0x30FA:
		return 5 // Katakana
	case r >= 0xAC00 && r <= 0xD7A3:
		return 6 // Hangul
	case r >= 0x0E01 && r <= 0x0E30:
		return 7 // Thai
	}
	for i, s := range knownScripts {
		if unicode.Is(s.table, r) {
			return i
		}
	}
	return len(knownScripts)
}

// ScriptOf returns the script of a letter ("Latin", "Han", …), or "" for
// a rune that is not a letter.
func ScriptOf(r rune) string {
	switch i := scriptIndex(r); {
	case i < 0:
		return ""
	case i == len(knownScripts):
		return ScriptOther
	default:
		return knownScripts[i].name
	}
}

// scriptsOf returns the scripts in which the texts have at least min
// letters, in knownScripts order.
func scriptsOf(texts []string, min int) []string {
	counts := make([]int, len(knownScripts)+1)
	for _, t := range texts {
		for _, r := range t {
			if i := scriptIndex(r); i >= 0 {
				counts[i]++
			}
		}
	}
	var out []string
	for i, s := range knownScripts {
		if counts[i] >= min {
			out = append(out, s.name)
		}
	}
	return out
}
