# The public headers: vaednn/vaednn.hpp includes every one of them, and none includes a header of
# the libraries the implementation uses (oneDNN, oneTBB, OpenMP, fmt, nlohmann_json, zlib, cairo),
# so that a user of the shared library needs none of their development packages.
#   cmake -DINCLUDE_DIR=<source>/include -P public_headers.cmake
file(GLOB headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/vaednn/*.hpp")
# Generated into the build tree (cmake/version.hpp.in and GenerateExportHeader).
list(APPEND headers vaednn/export.hpp vaednn/version.hpp)
file(READ "${INCLUDE_DIR}/vaednn/vaednn.hpp" umbrella)
set(problems "")
foreach(header IN LISTS headers)
  if(NOT header STREQUAL "vaednn/vaednn.hpp" AND NOT umbrella MATCHES "#include [<\"]${header}[>\"]")
    string(APPEND problems "vaednn/vaednn.hpp does not include ${header}\n")
  endif()
  if(EXISTS "${INCLUDE_DIR}/${header}")
    file(STRINGS "${INCLUDE_DIR}/${header}" includes REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS includes)
      if(line MATCHES "[<\"/](dnnl|oneapi|tbb|omp|fmt|nlohmann|zlib|cairo)[^<\"]*[>\"]")
        string(APPEND problems "${header}: ${line}\n")
      endif()
    endforeach()
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "public headers:\n${problems}")
endif()
list(LENGTH headers count)
message(STATUS "PASS: ${count} public headers, all in vaednn/vaednn.hpp, none with a dependency's header")
