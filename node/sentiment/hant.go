package sentiment

import "strings"

// hantPairs maps each simplified character used in lexicon/zh.txt that has
// a different traditional form to that form (Taiwan/Hong Kong usage). It
// covers only the lexicon's characters: it is not a general converter.
// TestTraditionalCoverage keeps it complete for the lexicon.
const hantPairs = "" +
	"妈媽玛瑪卧臥马馬脑腦残殘废廢滚滾经經脸臉无無耻恥恶惡烂爛东東么麼" +
	"骗騙诈詐钱錢强強盗盜抢搶货貨诉訴举舉报報师師们們协協费費会會评評" +
	"还還愤憤气氣够夠语語溃潰后後劲勁离離谱譜过過满滿负負责責没沒坏壞" +
	"损損错錯欢歡谢謝赞讚优優开開兴興荐薦问問题題几幾价價点點时時误誤" +
	"额額异異灿燦动動轮輪体體节節请請场場并並从從别別级級极極当當实實" +
	"简簡这這摇搖温溫类類车車邮郵"

var hant = func() map[rune]rune {
	m := make(map[rune]rune, len(hantPairs)/6)
	rs := []rune(hantPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		m[rs[i]] = rs[i+1]
	}
	return m
}()

// toTraditional converts the simplified characters of s that hant knows.
func toTraditional(s string) string {
	return strings.Map(func(r rune) rune {
		if t, ok := hant[r]; ok {
			return t
		}
		return r
	}, s)
}
