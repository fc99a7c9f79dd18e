/* Numbers, money, minutes and dates as the server writes them
   (survey_app/core/formatting.py); tests/format_cases.json holds both to it. */
(function (global) {
  "use strict";
  var SHORT_MONTHS = {
    id: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
  };
  var MINUTE_UNIT = { id: "menit", en: "min" };

  function lang(locale) {
    locale = locale || document.documentElement.lang;
    return locale === "en" ? "en" : "id";
  }
  function groups(digits, sep) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep); }
  function blank(value) { return value === null || value === undefined || value === "" || Number.isNaN(Number(value)); }

  /* Half up, like Python's Decimal ROUND_HALF_UP: 85.225 -> "85,23" (id), "85.23" (en). */
  function number(value, places, locale) {
    if (blank(value)) return "-";
    places = places === undefined ? 2 : places;
    var negative = Number(value) < 0, text = String(Math.abs(Number(value)));
    var parts = text.indexOf("e") >= 0 ? Math.abs(Number(value)).toFixed(20).split(".") : text.split(".");
    var whole = parts[0], frac = (parts[1] || "") + "0".repeat(places + 1);
    var digits = (whole + frac.slice(0, places)).split("").map(Number);
    if (Number(frac.charAt(places)) >= 5) {
      for (var i = digits.length - 1; i >= 0; i--) {
        if (digits[i] < 9) { digits[i] += 1; break; }
        digits[i] = 0;
        if (i === 0) digits.unshift(1);
      }
    }
    var all = digits.join(""), intPart = all.slice(0, all.length - places) || "0";
    var fracPart = places ? all.slice(all.length - places) : "";
    var en = lang(locale) === "en";
    var out = groups(intPart.replace(/^0+(?=\d)/, ""), en ? "," : ".") + (places ? (en ? "." : ",") + fracPart : "");
    return (negative ? "-" : "") + out;
  }

  /* 50000 -> "Rp 50.000" (dots in both languages, as on receipts). */
  function rupiah(value) {
    if (blank(value)) return "-";
    var n = Math.trunc(Number(value));
    return "Rp " + (n < 0 ? "-" : "") + groups(String(Math.abs(n)), ".");
  }

  /* 12 -> "12 menit" (or "12 min"). */
  function minutes(value, locale) {
    if (blank(value)) return "-";
    var l = lang(locale), n = Math.trunc(Number(value));
    return (n < 0 ? "-" : "") + groups(String(Math.abs(n)), l === "id" ? "." : ",") + " " + MINUTE_UNIT[l];
  }

  /* "2026-12-02" (or a full ISO time stamp) -> "2 Des 2026" (or "2 Dec 2026"). */
  function shortDate(iso, locale) {
    if (!iso) return "-";
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso));
    if (!m) return String(iso);
    return Number(m[3]) + " " + SHORT_MONTHS[lang(locale)][Number(m[2]) - 1] + " " + m[1];
  }

  global.Format = { number: number, rupiah: rupiah, minutes: minutes, shortDate: shortDate };
})(window);
