package fax

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/openiad/openiad/testrig/peers"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/jbtrace"
)

var long = flag.Bool("long", false, "run the full 30-minute espeak-ng speech corpus (default: about 4 minutes)")

// texts are a few sentences per language, written for this test.
var texts = map[string][]string{
	"en": {
		"Hello, this is the front desk calling about your reservation for next Thursday evening.",
		"Could you send the signed contract back to us by the end of the week, please?",
		"The weather service expects heavy rain in the north and strong winds along the coast tonight.",
		"I tried to reach you twice this morning, but the line was always busy.",
		"Please hold the line, I will transfer you to the accounting department right away.",
		"Seventeen boxes arrived at the warehouse, but three of them were damaged during transport.",
		"My number is five five five, two nine one, eight four seven three, call me any time after six.",
		"We have moved the meeting to room four hundred and twelve on the second floor.",
	},
	"de": {
		"Guten Tag, hier spricht die Hausverwaltung wegen der Reparatur der Heizung im dritten Stock.",
		"Können Sie mir bitte die Unterlagen bis Freitag per Post zuschicken?",
		"Der Zug nach Hamburg hat heute leider eine Verspätung von etwa zwanzig Minuten.",
		"Meine Telefonnummer lautet null drei null, vier fünf sechs, sieben acht neun.",
		"Wir haben das Angebot geprüft und möchten gerne noch einige Fragen klären.",
		"Am Wochenende bleibt das Büro geschlossen, in dringenden Fällen rufen Sie bitte den Notdienst an.",
	},
	"fr": {
		"Bonjour, je vous appelle au sujet de la facture que nous avons reçue la semaine dernière.",
		"Le rendez-vous chez le médecin est confirmé pour mardi prochain à quinze heures trente.",
		"Pourriez-vous me rappeler sur mon portable, le numéro est zéro six, douze, trente-quatre, cinquante-six?",
		"La livraison des meubles est prévue entre neuf heures et midi, merci de rester disponible.",
		"Nous avons bien noté votre demande et un technicien passera dans la journée.",
	},
	"es": {
		"Buenas tardes, llamo de la oficina de correos porque tenemos un paquete a su nombre.",
		"El vuelo a Madrid sale a las siete y cuarto desde la terminal dos.",
		"Por favor, envíe el documento firmado antes del lunes para poder cerrar el expediente.",
		"Mi número es seis uno dos, tres cuatro cinco, seis siete ocho, llámeme cuando pueda.",
		"La reunión de vecinos será el jueves a las ocho en el portal del edificio.",
	},
	"it": {
		"Buongiorno, chiamo per confermare la prenotazione del tavolo per quattro persone stasera.",
		"Il tecnico arriverà domani mattina per controllare la linea telefonica e il modem.",
		"Le spedirò il preventivo via posta elettronica entro la fine della giornata.",
	},
	"pt": {
		"Bom dia, estou ligando para saber se o meu pedido já foi enviado.",
		"A consulta foi remarcada para a próxima quarta-feira às dez horas da manhã.",
		"Por favor, confirme o endereço de entrega e o número do apartamento.",
	},
	"nl": {
		"Goedemiddag, ik bel over de levering van de nieuwe bureaus voor ons kantoor.",
		"De trein naar Utrecht vertrekt vandaag van spoor zeven in plaats van spoor vijf.",
	},
	"ru": {
		"Здравствуйте, я звоню по поводу заказа, который должен был прийти вчера.",
		"Пожалуйста, перезвоните мне после обеда, номер телефона у вас есть.",
	},
	"cmn": {
		"你好，请问王经理在吗？我想确认一下明天下午的会议时间。",
		"我们的货物已经到了仓库，请您安排车辆明天上午来提货。",
		"这个月的电话费比上个月多了很多，麻烦您帮我查一下原因。",
		"我的电话号码是一三八，零零一三，八零零零，有事请随时联系我。",
	},
	"ja": {
		"もしもし、明日の会議の時間を確認したいのですが、よろしいでしょうか。",
	},
	"hi": {
		"नमस्ते, मैं आपके आदेश के बारे में जानकारी देने के लिए फोन कर रहा हूँ।",
	},
	"tr": {
		"İyi günler, faturamla ilgili bir sorunu konuşmak için arıyorum.",
	},
}

// voices says each language in several voices (espeak-ng variants change
// the pitch, the formants and the voice quality).
var voices = map[string][]string{
	"en":  {"en-us", "en+f3", "en-gb+m3", "en-us+f5", "en+croak", "en-gb-x-rp+f2"},
	"de":  {"de", "de+f2", "de+m5", "de+f4"},
	"fr":  {"fr+f2", "fr", "fr+m3"},
	"es":  {"es", "es+f3", "es-419+m2"},
	"it":  {"it", "it+f2"},
	"pt":  {"pt-br", "pt+f3"},
	"nl":  {"nl", "nl+f1"},
	"ru":  {"ru", "ru+f2"},
	"cmn": {"cmn", "cmn+f3", "yue"},
	"ja":  {"ja"},
	"hi":  {"hi"},
	"tr":  {"tr"},
}

// corpus returns the utterances: every text in every voice of its
// language (about 12 minutes), repeated with the texts shifted among the
// voices when minutes asks for more.
func corpus(minutes float64) []jbtrace.Utterance {
	var us []jbtrace.Utterance
	langs := []string{"en", "de", "fr", "es", "it", "pt", "nl", "ru", "cmn", "ja", "hi", "tr"}
	for round := 0; ; round++ {
		for _, l := range langs {
			for vi, v := range voices[l] {
				ts := texts[l]
				for ti := range ts {
					// Each round pairs the texts with the voices differently
					// and joins two sentences, so that no audio repeats.
					t := ts[(ti+vi+round)%len(ts)]
					if round > 0 {
						t += " " + ts[(ti+2*round)%len(ts)]
					}
					us = append(us, jbtrace.Utterance{Voice: v, Text: t})
					// About 150 words a minute, 6 characters a word.
					minutes -= float64(len([]rune(t))) / 900
					if minutes <= 0 {
						return us
					}
				}
			}
		}
	}
}

// speech makes the corpus with espeak-ng. When espeak-ng is missing the
// test fails under CI=true and is skipped otherwise, saying how to get it.
func speech(t *testing.T, minutes float64) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	x, err := jbtrace.Speech(ctx, t.TempDir(), corpus(minutes))
	if errors.Is(err, jbtrace.ErrNoEspeak) {
		peers.Require(t, fmt.Errorf("%w; ./tools/ci/deps.sh installs it", err))
	}
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestNoFalseDetectionOnSpeech runs espeak-ng speech in 12 languages and
// 30 voices through a detector: not one event. The default run takes
// about 4 minutes of speech; -long takes 30 minutes (make test-long).
func TestNoFalseDetectionOnSpeech(t *testing.T) {
	minutes := 4.0
	if *long {
		minutes = 30
	}
	start := time.Now()
	x := speech(t, minutes)
	made := time.Since(start)
	got := float64(len(x)) / 8000 / 60
	if got < 0.9*minutes {
		t.Fatalf("the corpus gave %.1f minutes of speech, want %.0f", got, minutes)
	}
	// The speech at its own level (about -20 dBm0 while active) and 10 dB
	// louder.
	for _, gain := range []float64{1, 3.16} {
		y := x
		if gain != 1 {
			y = make([]int16, len(x))
			for i, v := range x {
				y[i] = sat(float64(v) * gain)
			}
		}
		d := NewDetector()
		var evs []Event
		var cng, ans, flags int // the closest calls
		for i := 0; i+80 <= len(y); i += 80 {
			evs = append(evs, d.Process(y[i:i+80])...)
			cng, ans, flags = max(cng, d.cng.good), max(ans, d.ans.good), max(flags, d.flags)
		}
		if len(evs) > 0 {
			t.Errorf("gain %.2f: %d false detections in %.1f minutes of speech, first %+v at %.2f s", gain, len(evs), got, evs[0], float64(evs[0].At)/8000)
		}
		t.Logf("gain %.2f: longest 1100 Hz run %d blocks (CNG needs %d), 2100 Hz run %d (needs %d), flags in a row %d (needs %d)",
			gain, cng, cngBlocks, ans, ansBlocks, flags, v21Flags)
	}
	t.Logf("%.1f minutes of espeak-ng speech, made in %v", got, made.Round(time.Millisecond))
}
