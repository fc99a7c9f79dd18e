/* The `relevant` skip-logic language, the same grammar as survey_app/expressions.py.
   Keep the two in step; tests run both on the same rules. */
(function (global) {
  "use strict";
  var TOKEN = /\s*(?:(-?\d+(?:\.\d+)?)|('[^']*'|"[^"]*")|(<=|>=|!=|=|<|>)|([()])|([A-Za-z_][A-Za-z0-9_]*))/y;
  var KEYWORDS = ["and", "or", "not", "answered", "true", "false", "has"];

  function tokenize(text) {
    var tokens = [], pos = 0, m;
    text = text.replace(/\s+$/, "");
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
  function value(operand, answers) {
    if (operand[0] === "lit") return operand[1];
    var v = answers[operand[1]];
    return isAnswered(v) ? v : null;
  }
  function coerce(v) {
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v;
    if (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v))) return Number(v);
    return v;
  }
  function compare(op, left, right) {
    if (left === null || right === null) return false;
    if (op === "has") return Array.isArray(left) && left.indexOf(right) >= 0;
    left = coerce(left); right = coerce(right);
    if (op === "=") return left === right;
    if (op === "!=") return left !== right;
    if (typeof left !== typeof right) return false;
    if (op === "<") return left < right;
    if (op === "<=") return left <= right;
    if (op === ">") return left > right;
    return left >= right;
  }
  function evaluate(node, answers) {
    switch (node[0]) {
      case "or": return evaluate(node[1], answers) || evaluate(node[2], answers);
      case "and": return evaluate(node[1], answers) && evaluate(node[2], answers);
      case "not": return !evaluate(node[1], answers);
      case "answered": return isAnswered(answers[node[1]]);
      case "truthy":
        var v = value(node[1], answers);
        return isAnswered(v) && v !== "no" && v !== false && v !== 0;
      default: return compare(node[1], value(node[2], answers), value(node[3], answers));
    }
  }
  global.Relevant = { parse: parse, evaluate: evaluate, isAnswered: isAnswered };
})(typeof window !== "undefined" ? window : globalThis);
