# Install rules: the headers, the three libraries, a CMake package "vaednn" with one export set
# per library (vaednn::formats, vaednn::vaednn, vaednn::figures as the component "figures"), and
# one pkg-config file per library (vaednn-formats, vaednn, vaednn-figures). The package is also
# exported from the build tree. Everything installed is relocatable: the CMake files find the
# prefix from their own place, the .pc files from ${pcfiledir}.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(VAEDNN_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/vaednn")
if(BUILD_SHARED_LIBS)
  set(VAEDNN_SHARED ON)
else()
  set(VAEDNN_SHARED OFF)
endif()

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/vaednn" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${VAEDNN_GENERATED_INCLUDE_DIR}/vaednn/export.hpp"
              "${VAEDNN_GENERATED_INCLUDE_DIR}/vaednn/version.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/vaednn")

foreach(component formats vaednn figures)
  if(component STREQUAL "vaednn")
    set(target vaednn)
    set(file_stem vaednn)
  else()
    set(target vaednn_${component})
    set(file_stem vaednn-${component})
  endif()
  install(
    TARGETS ${target}
    EXPORT ${file_stem}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(
    EXPORT ${file_stem}-targets
    NAMESPACE vaednn::
    DESTINATION ${VAEDNN_CMAKE_DIR})
  # Build-tree export, so a consumer can point vaednn_DIR at the build folder without installing.
  export(
    EXPORT ${file_stem}-targets
    NAMESPACE vaednn::
    FILE "${PROJECT_BINARY_DIR}/${file_stem}-targets.cmake")
endforeach()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/vaednnConfig.cmake.in" "${PROJECT_BINARY_DIR}/vaednnConfig.cmake"
  INSTALL_DESTINATION ${VAEDNN_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/vaednnConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/vaednnConfig.cmake"
              "${PROJECT_BINARY_DIR}/vaednnConfigVersion.cmake" DESTINATION ${VAEDNN_CMAKE_DIR})

# pkg-config: prefix is found from the .pc file's own folder, <libdir>/pkgconfig, however deep
# the libdir is (lib, lib64, lib/x86_64-linux-gnu), so an install can be moved or made with any
# --prefix. An absolute libdir or includedir is written as it is.
set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(VAEDNN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(VAEDNN_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(VAEDNN_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(VAEDNN_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(VAEDNN_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(VAEDNN_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

# A shared library carries its private dependencies itself (DT_NEEDED); a static one leaves them
# to whoever links it: `pkg-config --static` adds them from Requires.private and Libs.private.
# oneDNN has no .pc file in Debian, so it is named in Libs.private, with the OpenMP runtime the
# library's own loops use.
set(VAEDNN_PC_FORMATS_PRIVATE "")
set(VAEDNN_PC_VAEDNN_PRIVATE "")
set(VAEDNN_PC_FIGURES_PRIVATE "")
if(NOT VAEDNN_SHARED)
  set(openmp_libs "")
  foreach(name IN LISTS OpenMP_CXX_LIB_NAMES)
    string(APPEND openmp_libs " -l${name}")
  endforeach()
  set(VAEDNN_PC_FORMATS_PRIVATE "Requires.private: fmt zlib\n")
  # Debian names its default MPI's C library mpi-c (an alternative: Open MPI's ompi-c).
  set(mpi_pc "")
  if(VAEDNN_WITH_MPI)
    set(mpi_pc " mpi-c")
  endif()
  set(VAEDNN_PC_VAEDNN_PRIVATE
      "Requires.private: tbb fmt zlib${mpi_pc}\nLibs.private: -ldnnl${openmp_libs}\n")
  set(VAEDNN_PC_FIGURES_PRIVATE "Requires.private: cairo fmt\n")
endif()
foreach(pc vaednn-formats vaednn vaednn-figures)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in" "${PROJECT_BINARY_DIR}/${pc}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/${pc}.pc" DESTINATION "${pc_dir}")
endforeach()

if(TARGET vae_train)
  install(TARGETS vae_train vae_sample vae_eval RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
