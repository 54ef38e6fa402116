package convo

// Whole-message answers at a flow's confirmation (after normWord), in the
// default model's languages, as each language's writer listed them. A
// word that means yes in one language and no or stop in another ("k": ok
// in English chat, không in Vietnamese) is in none of the sets.
var (
	yesWords = set(
		// en
		"yes", "y", "yeah", "yep", "yup", "yea", "ya", "yes please", "sure", "ok", "okay", "correct", "confirm", "go ahead", "please do", "do it", "that's right", "right", "absolutely", "definitely", "of course", "👍",
		// es
		"sí", "si", "sip", "sii", "claro", "claro que sí", "vale", "okey", "dale", "de acuerdo", "correcto", "exacto", "por favor", "sí por favor", "si porfa", "adelante", "confirmo", "confirmar", "afirmativo", "va", "órale", "listo", "ajá",
		// pt
		"sim", "s", "ss", "sim sim", "sim, por favor", "sim pfv", "claro que sim", "pode", "pode sim", "pode ser", "blz", "beleza", "isso", "isso mesmo", "certo", "correto", "com certeza", "bora", "manda", "fechado", "uhum",
		// fr
		"oui", "ouais", "ouep", "oui svp", "oui s'il vous plaît", "oui stp", "d'accord", "dac", "volontiers", "bien sûr", "bien sur", "c'est ça", "c'est bon", "exact", "exactement", "je confirme", "confirmer", "vas-y", "allez-y", "parfait", "oui merci",
		// de
		"ja", "jap", "jo", "jup", "japp", "ja bitte", "ja gerne", "ja, gerne", "gerne", "gern", "klar", "na klar", "sicher", "genau", "richtig", "stimmt", "passt", "bestätigen", "bestätige", "ich bestätige", "mach das", "machen sie das", "einverstanden", "in ordnung", "jawohl",
		// it
		"sì", "sìsì", "si si", "sì grazie", "si grazie", "sì, grazie", "certamente", "va bene", "va bene così", "d'accordo", "esatto", "esattamente", "giusto", "confermo", "procedi", "procedi pure", "vai", "vai pure", "perfetto", "assolutamente",
		// nl
		"jaa", "jaaa", "ja graag", "ja, graag", "ja hoor", "ja aub", "ja alsjeblieft", "ja, alsjeblieft", "ja klopt", "jep", "oké", "oke", "okee", "prima", "goed", "is goed", "klopt", "dat klopt", "zeker", "zeker weten", "doe maar", "graag", "akkoord", "top",
		// pl
		"tak", "takk", "tak, proszę", "tak proszę", "tak poproszę", "tak jest", "no tak", "ta", "jasne", "oczywiście", "oczywiscie", "pewnie", "okej", "oki", "dobra", "dobrze", "zgadza się", "zgadza sie", "zgoda", "potwierdzam", "poproszę", "poprosze", "śmiało", "smialo", "spoko",
		// ru
		"да", "да, пожалуйста", "да пожалуйста", "да да", "дада", "даа", "ага", "угу", "ок", "окей", "оке", "хорошо", "ладно", "конечно", "верно", "всё верно", "все верно", "подтверждаю", "давайте", "давай", "оформляйте", "да, оформляйте", "точно", "+",
		// tr
		"evet", "evt", "evet lütfen", "evet lutfen", "olur", "tamam", "tamamdır", "tamamdir", "tmm", "tmam", "tabii", "tabi", "tabii ki", "aynen", "he", "hee", "hı hı", "onaylıyorum", "onayliyorum", "onay", "doğru", "dogru", "elbette", "kesinlikle", "peki",
		// ar
		"نعم", "نعم من فضلك", "نعم لو سمحت", "ايوه", "أيوه", "ايوا", "أيوا", "اي", "إي", "اه", "آه", "أه", "اكيد", "أكيد", "تمام", "طيب", "ماشي", "اوكي", "أوكي", "اوك", "موافق", "صح", "صحيح", "بلى", "أجل", "طبعا", "طبعًا", "واخا", "وخا", "يب", "اي نعم",
		// ja
		"はい", "はーい", "はい、お願いします", "はいお願いします", "うん", "ええ", "そう", "そうです", "お願いします", "おねがいします", "お願い", "よろしくお願いします", "よろしく", "それでお願いします", "了解", "了解です", "りょうかい", "承知しました", "オッケー", "おけ", "申請して", "申請してください", "はい、申請してください",
		// ko
		"네", "넵", "넹", "네네", "예", "응", "ㅇㅇ", "ㅇㅋ", "오케이", "좋아요", "좋아", "맞아요", "맞아", "그래요", "그래", "네 신청해 주세요", "신청해 주세요", "신청해주세요", "해 주세요", "해주세요", "부탁드려요", "부탁해요", "부탁드립니다", "네 부탁드려요", "확인", "진행해 주세요", "진행해주세요",
		// zh
		"是", "是的", "对", "对的", "对呀", "好", "好的", "好滴", "嗯", "嗯嗯", "确认", "确定", "可以", "行", "要", "没错", "申请吧",
		// zh-Hant
		"對", "對啊", "好喔", "確認", "確定", "沒錯", "係", "係呀", "好呀", "得",
		// id
		"iya", "iyaa", "iya kak", "ya kak", "iye", "yoi", "ok kak", "oke kak", "siap", "boleh", "betul", "bener", "benar", "setuju", "lanjut", "lanjutkan", "gas", "mau",
		// vi
		"có", "co", "có ạ", "co a", "dạ có", "vâng", "vang", "dạ", "da", "dạ vâng", "ừ", "ừm", "uh", "uk", "đúng", "đúng rồi", "dung roi", "được", "duoc", "dc", "đc", "đồng ý", "dong y",
		// th
		"ใช่", "ใช่ค่ะ", "ใช่ครับ", "ใช่คะ", "ใช่แล้ว", "ใช่แล้วค่ะ", "ใช่แล้วครับ", "ค่ะ", "ครับ", "คับ", "ค่า", "จ้า", "จ้ะ", "ได้", "ได้ค่ะ", "ได้ครับ", "ได้เลย", "ได้เลยค่ะ", "ได้เลยครับ", "โอเค", "โอเคค่ะ", "โอเคครับ", "ตกลง", "ตกลงค่ะ", "ตกลงครับ", "ยืนยัน", "ยืนยันค่ะ", "ยืนยันครับ", "ถูกต้อง", "ถูกต้องค่ะ", "ถูกต้องครับ", "เอาค่ะ", "เอาครับ",
	)
	noWords = set(
		// en
		"no", "n", "nope", "nah", "no thanks", "no thank you", "not now", "don't", "dont", "wrong", "that's wrong", "incorrect", "👎",
		// es
		"nop", "nel", "no gracias", "no, gracias", "para nada", "negativo", "todavía no", "aún no", "mejor no", "incorrecto",
		// pt
		"não", "nao", "nn", "não obrigado", "não, obrigado", "não obrigada", "não, obrigada", "nops", "ainda não", "agora não", "melhor não", "errado",
		// fr
		"non", "nan", "non merci", "pas maintenant", "non pas maintenant", "surtout pas", "pas du tout", "non c'est bon", "non ça va",
		// de
		"nein", "ne", "nee", "nö", "noe", "nein danke", "nicht jetzt", "lieber nicht", "auf keinen fall", "doch nicht",
		// it
		"no grazie", "no, grazie", "non ora", "non adesso", "per ora no", "assolutamente no",
		// nl
		"neen", "nee hoor", "nee dank je", "nee dankje", "nee bedankt", "nee, bedankt", "liever niet", "niet", "klopt niet", "dat klopt niet", "fout",
		// pl
		"nie", "nie, dziękuję", "nie dziękuję", "nie dziekuje", "nie, dzięki", "nie dzięki", "nie dzieki", "nie teraz", "raczej nie", "nie trzeba", "nie zgadza się", "nie zgadza sie", "źle", "zle",
		// ru
		"нет", "неа", "не", "нет, спасибо", "нет спасибо", "не надо", "не нужно", "не сейчас", "неверно", "не верно", "не-не",
		// tr
		"hayır", "hayir", "hyr", "yok", "istemiyorum", "hayır teşekkürler", "hayir tesekkurler", "yok teşekkürler", "olmaz", "gerek yok", "yanlış", "yanlis", "değil", "degil",
		// ar
		"لا", "لأ", "لاء", "لالا", "لا لا", "لا شكرا", "لا شكراً", "لا، شكرا", "مش عايز", "مش عاوز", "ما ابي", "ما أبي", "ما بدي", "ما ابغى", "مابغيتش", "كلا", "غلط", "خطأ", "مو صحيح", "مش صح",
		// ja
		"いいえ", "いえ", "いや", "ううん", "違います", "ちがいます", "違う", "ちがう", "結構です", "けっこうです", "いらない", "いりません", "しません", "だめ", "やめておきます",
		// ko
		"아니요", "아니오", "아뇨", "아니", "ㄴㄴ", "노", "싫어요", "안 할래요", "안할래요", "아니요 괜찮아요",
		// zh
		"不", "不是", "否", "不要", "不用", "不用了", "不对", "不行", "先不要",
		// zh-Hant
		"不對", "唔係", "唔要", "唔使", "唔好",
		// id
		"tidak", "gak", "ga", "nggak", "ngga", "enggak", "engga", "gk", "tdk", "jangan", "ga usah", "gak usah", "nggak usah", "tidak usah", "salah", "bukan", "ga mau", "gak mau",
		// vi
		"không", "khong", "ko", "hông", "hong", "không ạ", "dạ không", "da khong", "không cần", "khong can", "ko cần", "chưa", "chua", "khỏi",
		// th
		"ไม่", "ไม่ใช่", "ไม่ใช่ค่ะ", "ไม่ใช่ครับ", "ไม่ค่ะ", "ไม่ครับ", "ไม่เอา", "ไม่เอาค่ะ", "ไม่เอาครับ", "ไม่ต้อง", "ไม่ต้องค่ะ", "ไม่ต้องครับ", "ยังไม่", "ยังไม่ค่ะ", "ยังไม่ครับ", "ไม่ดีกว่า",
	)
	cancelWords = set(
		// en
		"cancel", "stop", "quit", "exit", "never mind", "nevermind", "forget it", "abort", "leave it",
		// es
		"cancelar", "cancela", "cancelá", "para", "parar", "detener", "salir", "olvídalo", "olvidalo", "déjalo", "dejalo", "ya no", "no importa", "basta",
		// pt
		"pare", "sair", "esquece", "esquece isso", "deixa pra lá", "deixa", "desisto", "chega", "não quero mais",
		// fr
		"annuler", "annule", "annulez", "arrête", "arrete", "arrêtez", "laisse tomber", "laissez tomber", "oublie", "oubliez", "tant pis", "on arrête", "abandonner", "quitter",
		// de
		"abbrechen", "abbruch", "stopp", "halt", "vergiss es", "vergessen sie es", "egal", "lass es", "lassen sie es", "schon gut", "beenden", "storno",
		// it
		"annulla", "annullare", "lascia stare", "lascia perdere", "lasciamo perdere", "non importa", "niente", "esci", "fermati", "fine", "dimentica",
		// nl
		"stoppen", "annuleer", "annuleren", "laat maar", "laat maar zitten", "laat maar gaan", "vergeet het", "vergeet het maar", "afbreken", "hou maar op", "ik wil stoppen", "toch niet",
		// pl
		"anuluj", "przerwij", "koniec", "rezygnuję", "rezygnuje", "nieważne", "niewazne", "zapomnij", "daj spokój", "daj spokoj", "nie chcę już", "nie chce juz", "wyjdź", "wyjdz",
		// ru
		"отмена", "отменить", "отмени", "отмените", "стоп", "хватит", "забей", "забудь", "неважно", "не важно", "выход", "выйти", "прекрати", "передумал", "передумала",
		// tr
		"iptal", "vazgeç", "vazgec", "vazgeçtim", "vazgectim", "dur", "boşver", "bosver", "boş ver", "kalsın", "kalsin", "çıkış", "cikis", "iptal et", "unut gitsin",
		// ar
		"إلغاء", "الغاء", "الغي", "ألغي", "الغيها", "بلاش", "انسى", "انسى الموضوع", "سيبك", "وقف", "توقف", "خروج", "خليها", "تراجعت",
		// ja
		"キャンセル", "きゃんせる", "キャンセルで", "キャンセルします", "中止", "中止して", "中止します", "やめる", "やめます", "やめて", "やめとく", "もういい", "もういいです", "やっぱりやめます", "取り消し", "とりけし", "ストップ",
		// ko
		"취소", "취소할게요", "취소해 주세요", "취소해주세요", "그만", "그만할게요", "멈춰", "중단", "중지", "그냥 됐어요", "나중에 할게요", "캔슬", "됐어요",
		// zh
		"取消", "算了", "算了吧", "不退了", "退出", "停止", "结束", "不弄了",
		// zh-Hant
		"結束", "唔退喇",
		// id
		"batal", "batalkan", "batalin", "ga jadi", "gak jadi", "nggak jadi", "gajadi", "tidak jadi", "berhenti", "udahan", "sudahlah", "lupakan", "keluar",
		// vi
		"hủy", "huỷ", "huy", "thôi", "thoi", "thôi khỏi", "bỏ qua", "bo qua", "dừng", "dừng lại", "không trả nữa", "khong tra nua",
		// th
		"ยกเลิก", "ยกเลิกค่ะ", "ยกเลิกครับ", "ยกเลิกเลย", "พอแล้ว", "พอแล้วค่ะ", "พอแล้วครับ", "หยุด", "หยุดก่อน", "ช่างมัน", "ช่างเถอะ", "ไม่ทำแล้ว", "ไม่ทำแล้วค่ะ", "ไม่ทำแล้วครับ", "ไว้ก่อน", "ไว้ทีหลัง", "แคนเซิล",
	)
)
