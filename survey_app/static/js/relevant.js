/* The `relevant` skip-logic language in the browser: the same grammar and value
   rules as survey_app/core/expressions.py, defined in docs/instrument-format.md.
   The shared contract is tests/relevant_cases.json: both implementations are
   tested against every case in it, so change the three together. */
(function (global) {
  "use strict";
  // ASCII spaces and digits only, written out to match the server's tokenizer.
  var TOKEN = /[ \t\n\r\f\v]*(?:(-?[0-9]+(?:\.[0-9]+)?)|('[^']*'|"[^"]*")|(<=|>=|!=|=|<|>)|([()])|([A-Za-z_][A-Za-z0-9_]*))/y;
  // The only strings that are numbers; Number() would also take hex, exponents,
  // "Infinity" and a bare space (as 0).
  var DECIMAL = /^[ \t\n\r\f\v]*(-?[0-9]+(?:\.[0-9]+)?)[ \t\n\r\f\v]*$/;
  var KEYWORDS = ["and", "or", "not", "answered", "true", "false", "has"];
  var MAX_TOKENS = 200;  // as on the server, where it bounds the recursion
  var own = Object.prototype.hasOwnProperty;

  function tokenize(text) {
    var tokens = [], pos = 0, m;
    text = text.replace(/[ \t\n\r\f\v]+$/, "");
    while (pos < text.length) {
      TOKEN.lastIndex = pos;
      m = TOKEN.exec(text);
      if (!m || TOKEN.lastIndex === pos) throw new Error("unexpected character at position " + (pos + 1));
      if (m[1] !== undefined) tokens.push({ kind: "number", value: parseFloat(m[1]) });
      else if (m[2] !== undefined) tokens.push({ kind: "string", value: m[2].slice(1, -1) });
      else if (m[3] !== undefined) tokens.push({ kind: "op", value: m[3] });
      else if (m[4] !== undefined) tokens.push({ kind: "paren", value: m[4] });
      else if (KEYWORDS.indexOf(m[5]) >= 0) tokens.push({ kind: m[5] === "has" ? "op" : "keyword", value: m[5] });
      else tokens.push({ kind: "name", value: m[5] });
      if (tokens.length > MAX_TOKENS) throw new Error("rule longer than " + MAX_TOKENS + " tokens");
      pos = TOKEN.lastIndex;
    }
    return tokens;
  }

  function parse(text) {
    var tokens = tokenize(text), i = 0;
    function peek(kind, value) {
      var t = tokens[i];
      return t && (!kind || t.kind === kind) && (value === undefined || t.value === value) ? t : null;
    }
    function take(kind, value) {
      var t = peek(kind, value);
      if (!t) throw new Error("expected " + (value || kind));
      i++;
      return t;
    }
    function binary(word, operand) {
      var node = operand();
      while (peek("keyword", word)) { i++; node = [word, node, operand()]; }
      return node;
    }
    function orExpr() { return binary("or", andExpr); }
    function andExpr() { return binary("and", unary); }
    function unary() {
      if (peek("keyword", "not")) { i++; return ["not", unary()]; }
      return primary();
    }
    function primary() {
      if (peek("paren", "(")) { i++; var node = orExpr(); take("paren", ")"); return node; }
      if (peek("keyword", "answered")) {
        i++; take("paren", "("); var name = take("name").value; take("paren", ")");
        return ["answered", name];
      }
      var left = operand();
      if (peek("op")) { var op = take("op").value; return ["cmp", op, left, operand()]; }
      return ["truthy", left];
    }
    function operand() {
      var t = tokens[i];
      if (!t) throw new Error("rule ends too early");
      if (t.kind === "name") { i++; return ["name", t.value]; }
      if (t.kind === "number" || t.kind === "string") { i++; return ["lit", t.value]; }
      if (t.kind === "keyword" && (t.value === "true" || t.value === "false")) { i++; return ["lit", t.value === "true"]; }
      throw new Error("unexpected '" + t.value + "'");
    }
    if (!tokens.length) throw new Error("empty rule");
    var tree = orExpr();
    if (i < tokens.length) throw new Error("unexpected '" + tokens[i].value + "'");
    return tree;
  }

  function isAnswered(v) {
    return v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0);
  }
  // Own properties only: a rule naming `constructor` must not find Object's.
  function answer(answers, name) {
    return own.call(answers, name) ? answers[name] : undefined;
  }
  function value(operand, answers) {
    if (operand[0] === "lit") return operand[1];
    var v = answer(answers, operand[1]);
    return isAnswered(v) ? v : null;
  }
  // [kind, value] with kind number, string or boolean; null for a list or null.
  function scalar(v) {
    var m;
    if (typeof v === "boolean" || typeof v === "number") return [typeof v, v];
    if (typeof v === "string") {
      m = DECIMAL.exec(v);
      return m ? ["number", Number(m[1])] : ["string", v];
    }
    return null;
  }
  function same(left, right) { return left[0] === right[0] && left[1] === right[1]; }
  function equal(left, right) {
    left = scalar(left); right = scalar(right);
    return left !== null && right !== null && same(left, right);
  }
  // Strings order by code point, as in Python; < alone compares UTF-16 units.
  function byCodePoint(a, b) {
    var i = 0, j = 0, x, y;
    while (i < a.length && j < b.length) {
      x = a.codePointAt(i); y = b.codePointAt(j);
      if (x !== y) return x < y ? -1 : 1;
      i += x > 0xffff ? 2 : 1; j += y > 0xffff ? 2 : 1;
    }
    return (i < a.length) - (j < b.length);
  }
  function compare(op, left, right) {
    if (left === null || right === null) return false;
    if (op === "has") return Array.isArray(left) && left.some(function (v) { return equal(v, right); });
    left = scalar(left); right = scalar(right);
    if (left === null || right === null) return false;  // a list is tested only with `has`
    if (op === "=") return same(left, right);
    if (op === "!=") return !same(left, right);
    if (left[0] !== right[0] || left[0] === "boolean") return false;
    var a = left[1], b = right[1];
    if (left[0] === "string") { a = byCodePoint(a, b); b = 0; }
    if (op === "<") return a < b;
    if (op === "<=") return a <= b;
    if (op === ">") return a > b;
    return a >= b;
  }
  function evaluate(node, answers) {
    switch (node[0]) {
      case "or": return evaluate(node[1], answers) || evaluate(node[2], answers);
      case "and": return evaluate(node[1], answers) && evaluate(node[2], answers);
      case "not": return !evaluate(node[1], answers);
      case "answered": return isAnswered(answer(answers, node[1]));
      case "truthy":
        var v = value(node[1], answers);
        return isAnswered(v) && v !== "no" && v !== false && v !== 0;
      default: return compare(node[1], value(node[2], answers), value(node[3], answers));
    }
  }
  global.Relevant = { parse: parse, evaluate: evaluate, isAnswered: isAnswered };
})(typeof window !== "undefined" ? window : globalThis);
