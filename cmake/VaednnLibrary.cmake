# vaednn_add_library(<target> EXPORT_NAME <name> SOURCES <file>...
#                    [LINK <our library target>...]     public: its API is part of ours
#                    [PRIVATE <dependency>...]          linked, not part of our API
#                    [COMPILE_ONLY <dependency>...])    headers only (nlohmann_json)
#
# One library of ours, compiled once into an OBJECT library (position-independent, symbols hidden
# but those marked VAEDNN_EXPORT), from which the libraries are made:
#   <target>         the installed one, vaednn::<name>: shared or static as BUILD_SHARED_LIBS says;
#                    a shared one exports the public API and nothing else.
#   <target>_static  in a shared build only: the same objects as a static archive, for the in-tree
#                    tests and benchmarks (vaednn_whitebox in lib/CMakeLists.txt), in which
#                    vaednn::detail and the layers are there to link without the .so exporting them.
# The objects are compiled once either way; a shared build only archives them a second time.
function(vaednn_add_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXPORT_NAME" "SOURCES;LINK;PRIVATE;COMPILE_ONLY")

  add_library(${target}_objects OBJECT ${arg_SOURCES})
  target_include_directories(
    ${target}_objects PRIVATE ${PROJECT_SOURCE_DIR}/include ${VAEDNN_GENERATED_INCLUDE_DIR}
                              ${PROJECT_SOURCE_DIR}/lib)
  target_compile_features(${target}_objects PRIVATE cxx_std_20)
  # The dependencies' include directories and compile flags (OpenMP's -fopenmp among them).
  target_link_libraries(${target}_objects PRIVATE ${arg_PRIVATE} ${arg_COMPILE_ONLY})
  set_target_properties(
    ${target}_objects
    PROPERTIES POSITION_INDEPENDENT_CODE ON
               CXX_VISIBILITY_PRESET hidden
               VISIBILITY_INLINES_HIDDEN ON)
  vaednn_set_warnings(${target}_objects)

  set(flavours ${target})
  if(BUILD_SHARED_LIBS)
    list(APPEND flavours ${target}_static)
  endif()
  foreach(flavour IN LISTS flavours)
    if(flavour STREQUAL target)
      add_library(${flavour} $<TARGET_OBJECTS:${target}_objects>)
      set(link ${arg_LINK})
    else()
      add_library(${flavour} STATIC $<TARGET_OBJECTS:${target}_objects>)
      list(TRANSFORM arg_LINK APPEND _static OUTPUT_VARIABLE link)
    endif()
    target_include_directories(
      ${flavour} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                        $<BUILD_INTERFACE:${VAEDNN_GENERATED_INCLUDE_DIR}>
                        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_compile_features(${flavour} PUBLIC cxx_std_20)
    target_link_libraries(${flavour} PUBLIC ${link} PRIVATE ${arg_PRIVATE})
    set_target_properties(${flavour} PROPERTIES LINKER_LANGUAGE CXX)
  endforeach()

  get_target_property(type ${target} TYPE)
  set_target_properties(
    ${target}
    PROPERTIES EXPORT_NAME ${arg_EXPORT_NAME}
               VERSION ${PROJECT_VERSION}
               SOVERSION ${PROJECT_VERSION_MAJOR})
  if(type STREQUAL "SHARED_LIBRARY" AND NOT VAEDNN_SANITIZE)
    # Every symbol the library uses must come from a library it names: a dependency forgotten
    # here would otherwise surface only in a consumer's link.
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
  add_library(vaednn::${arg_EXPORT_NAME} ALIAS ${target})
endfunction()
