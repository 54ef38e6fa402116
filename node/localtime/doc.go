// Package localtime writes instants the way a customer reads them in their
// own language: the abbreviated weekday and the time of day, with the
// language's clock (24-hour "09:00" or 12-hour "9:00 AM", "上午9:00",
// "오전 9:00") and digits ("٩:٠٠ ص"). Routing tells a customer when a team
// opens with it ("back at jue 09:00"); it is what CLDR's "E HH:mm" /
// "E h:mm a" skeletons give, from a small table rather than a CLDR
// dependency.
//
// Languages are BCP 47 tags. A tag is looked up as language-REGION
// (en-GB, fr-CA), then Chinese by script (zh-TW, zh-HK and zh-MO read
// Traditional: zh-Hant), then the language (es-MX → es). A language
// without an entry gets English weekday names with a 24-hour clock,
// the form the node wrote before it knew languages ("Thu 09:00").
//
// The package is stateless and safe for concurrent use.
package localtime
