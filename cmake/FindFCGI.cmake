find_path(FCGI_INCLUDE_DIR fcgiapp.h)
find_library(FCGI_LIBRARY fcgi)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FCGI DEFAULT_MSG FCGI_INCLUDE_DIR FCGI_LIBRARY)
if(FCGI_FOUND AND NOT TARGET FCGI::fcgi)
  add_library(FCGI::fcgi INTERFACE IMPORTED)
  set_target_properties(FCGI::fcgi PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${FCGI_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${FCGI_LIBRARY}")
endif()
