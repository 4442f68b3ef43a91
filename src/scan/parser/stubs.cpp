#include "scan/parser/extractor.h"
namespace docrunch::scan {
void ExtractGo(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractRust(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractJava(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractCFamily(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractCSharp(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractRuby(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractPhp(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractBash(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractStylesheet(TSNode, const syntax::Source&, ParsedFile&) {}
void ExtractSql(TSNode, const syntax::Source&, ParsedFile&) {}
}
