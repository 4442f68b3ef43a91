// Queries over the relationship graph: what a node depends on, what depends
// on it, import cycles, and the impact set of a change.
//
// Built from Relationship rows (in memory; the store loads them). Node
// names follow analyzer.h: files by path, symbols as "path#qualified".
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "scan/analyzer.h"

namespace docrunch::scan {

struct Edge {
  std::string node;
  std::string type;
};

struct ImpactSet {
  std::vector<std::string> files;    // affected files, sorted
  std::vector<std::string> symbols;  // affected symbols, sorted
};

class DependencyGraph {
 public:
  explicit DependencyGraph(const std::vector<Relationship>& relationships);

  // Outgoing / incoming edges of a node, sorted. For a file, edges of the
  // symbols it contains are included.
  std::vector<Edge> Dependencies(const std::string& node) const;
  std::vector<Edge> Dependents(const std::string& node) const;

  // Files importing each other in a cycle (strongly connected components of
  // the file import graph with more than one file), each sorted.
  std::vector<std::vector<std::string>> ImportCycles() const;

  // Everything that may break if `node` changes: the transitive closure of
  // dependents over every relationship type. `node` is a file or a symbol.
  ImpactSet Impact(const std::string& node) const;

  bool Contains(const std::string& node) const;

 private:
  std::vector<std::string> NodesOf(const std::string& node) const;

  std::map<std::string, std::vector<Edge>> out_;
  std::map<std::string, std::vector<Edge>> in_;
  std::map<std::string, std::set<std::string>> symbols_of_file_;
};

// "pkg/mod.py#Parser.parse" -> "pkg/mod.py"; a file node is its own file.
std::string FileOfNode(const std::string& node);

}  // namespace docrunch::scan
