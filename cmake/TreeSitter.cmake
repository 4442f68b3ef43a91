# docrunch_grammars: the tree-sitter C runtime and every grammar's generated
# parser, as ONE static C library built once.
#
# The sources come from the npm packages pinned in third_party/package.json
# (installed by scripts/setup.sh into third_party/node_modules); nothing is
# vendored or generated here. The runtime is the C library the `tree-sitter`
# node binding ships under vendor/tree-sitter/lib.
#
# Third-party sources are compiled with warnings off and without debug info;
# grammars at -O1 (they parse as fast as at -O2 and compile much faster).
# These flags stay on this target: nothing here leaks into other targets
# except the include directory of <tree_sitter/api.h>.

set(DOCRUNCH_NODE_MODULES ${PROJECT_SOURCE_DIR}/third_party/node_modules)
set(TREE_SITTER_RUNTIME_DIR ${DOCRUNCH_NODE_MODULES}/tree-sitter/vendor/tree-sitter/lib)

if(NOT EXISTS ${TREE_SITTER_RUNTIME_DIR}/src/lib.c)
  message(FATAL_ERROR
    "tree-sitter sources not found in ${DOCRUNCH_NODE_MODULES}.\n"
    "Run scripts/setup.sh (it installs the grammars pinned in third_party/package-lock.json).")
endif()

# Each grammar: the folder holding parser.c (and scanner.c if the grammar has
# one), relative to third_party/node_modules. The C entry points
# (tree_sitter_<name>) are declared in src/scan/parser/languages.cpp.
set(DOCRUNCH_GRAMMAR_DIRS
  tree-sitter-python/src
  tree-sitter-javascript/src
  tree-sitter-typescript/typescript/src
  tree-sitter-typescript/tsx/src
  tree-sitter-go/src
  tree-sitter-rust/src
  tree-sitter-java/src
  tree-sitter-c/src
  tree-sitter-cpp/src
  tree-sitter-c-sharp/src
  tree-sitter-ruby/src
  tree-sitter-php/php/src
  tree-sitter-bash/src
  tree-sitter-css/src
  tree-sitter-scss/src
  @derekstride/tree-sitter-sql/src)

set(grammar_sources)
foreach(dir IN LISTS DOCRUNCH_GRAMMAR_DIRS)
  set(src ${DOCRUNCH_NODE_MODULES}/${dir})
  if(NOT EXISTS ${src}/parser.c)
    message(FATAL_ERROR "${src}/parser.c is missing: run scripts/setup.sh")
  endif()
  set(files ${src}/parser.c)
  if(EXISTS ${src}/scanner.c)
    list(APPEND files ${src}/scanner.c)
  endif()
  # Shared scanner headers (tree-sitter-typescript/common/scanner.h) include
  # "tree_sitter/parser.h", which lives next to each grammar's parser.c.
  set_source_files_properties(${files} PROPERTIES INCLUDE_DIRECTORIES ${src})
  list(APPEND grammar_sources ${files})
endforeach()

# Re-run configure when the lock changes, so a new grammar version is seen.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/third_party/package-lock.json)

add_library(docrunch_grammars STATIC ${TREE_SITTER_RUNTIME_DIR}/src/lib.c ${grammar_sources})
target_include_directories(docrunch_grammars SYSTEM PUBLIC ${TREE_SITTER_RUNTIME_DIR}/include)
target_include_directories(docrunch_grammars PRIVATE ${TREE_SITTER_RUNTIME_DIR}/src)
set_target_properties(docrunch_grammars PROPERTIES C_STANDARD 11 C_EXTENSIONS OFF)
# -w after the project's -Wall -Wextra silences them; -g0 drops debug info that
# would make the multi-megabyte parse tables slow to compile and link.
target_compile_options(docrunch_grammars PRIVATE -w -g0)
set_source_files_properties(${TREE_SITTER_RUNTIME_DIR}/src/lib.c PROPERTIES
  COMPILE_DEFINITIONS "_POSIX_C_SOURCE=200112L;_DEFAULT_SOURCE")
set_source_files_properties(${grammar_sources} PROPERTIES COMPILE_OPTIONS -O1)
