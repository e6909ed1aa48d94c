# Debian's SOCI 4.0.3 ships no CMake config: find the core and PostgreSQL backend by hand.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql)
find_package(PostgreSQL REQUIRED)
find_package(Boost REQUIRED)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI DEFAULT_MSG SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_POSTGRESQL_LIBRARY)
if(SOCI_FOUND AND NOT TARGET SOCI::postgresql)
  add_library(SOCI::postgresql INTERFACE IMPORTED)
  set_target_properties(SOCI::postgresql PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR};${SOCI_INCLUDE_DIR}/soci/postgresql;${PostgreSQL_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${SOCI_POSTGRESQL_LIBRARY};${SOCI_CORE_LIBRARY};${PostgreSQL_LIBRARIES};Boost::headers")
endif()
