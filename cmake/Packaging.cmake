# What `cmake --install` puts where, and the Debian package CPack builds from it (scripts/package;
# README, "Installing as a Debian service"). Paths follow GNUInstallDirs under CMAKE_INSTALL_PREFIX
# (/usr unless given): easd in sbin, easctl and easd-deliver in bin (fcgi-app/, cli/), the schema
# in share/easd/schema, the config in /etc/easd (SYSCONFDIR: /etc for the prefix /usr), the units
# in /lib/systemd/system (Debian 12's place for packaged units).

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(easd_default_unit_dir "/lib/systemd/system")
  set(easd_default_tmpfiles_dir "/usr/lib/tmpfiles.d")
else()
  set(easd_default_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(easd_default_tmpfiles_dir "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d")
endif()
set(EASD_SYSTEMD_UNIT_DIR "${easd_default_unit_dir}" CACHE PATH "Where the systemd units are installed")
set(EASD_TMPFILES_DIR "${easd_default_tmpfiles_dir}" CACHE PATH "Where the tmpfiles.d snippet is installed")
set(easd_share "${CMAKE_INSTALL_DATADIR}/easd")

# The units: one template each for the service and the socket, rendered for the single pool and
# for the per-pool template units (instance = pool name, own config and socket).
function(easd_unit template output)
  set(SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
  set(SYSCONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
  cmake_parse_arguments(U "" "SUMMARY;DESCRIPTION;CONFIG_FILE;SOCKET_PATH;SOCKET_UNIT" "" ${ARGN})
  set(UNIT_SUMMARY "${U_SUMMARY}")
  set(UNIT_DESCRIPTION "${U_DESCRIPTION}")
  set(CONFIG_FILE "${U_CONFIG_FILE}")
  set(SOCKET_PATH "${U_SOCKET_PATH}")
  set(SOCKET_UNIT "${U_SOCKET_UNIT}")
  configure_file("${CMAKE_SOURCE_DIR}/systemd/${template}" "${CMAKE_BINARY_DIR}/systemd/${output}" @ONLY)
  install(FILES "${CMAKE_BINARY_DIR}/systemd/${output}" DESTINATION "${EASD_SYSTEMD_UNIT_DIR}")
endfunction()
easd_unit(easd.service.in easd.service
  SUMMARY "easd under systemd: one pool of workers."
  DESCRIPTION "easd Exchange ActiveSync server"
  CONFIG_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/easd/easd.conf"
  SOCKET_UNIT "easd.socket")
easd_unit(easd.service.in easd@.service
  SUMMARY "easd under systemd: the pool named by the instance (easd@NAME), with its own config and socket."
  DESCRIPTION "easd Exchange ActiveSync server, pool %i"
  CONFIG_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/easd/%i.conf"
  SOCKET_UNIT "easd@NAME.socket")
easd_unit(easd.socket.in easd.socket
  SUMMARY "easd's FastCGI socket, for socket activation of easd.service."
  DESCRIPTION "easd FastCGI socket"
  SOCKET_PATH "/run/easd/easd.sock"
  SOCKET_UNIT "easd.socket")
easd_unit(easd.socket.in easd@.socket
  SUMMARY "The FastCGI socket of the easd pool easd@NAME (/run/easd/NAME.sock)."
  DESCRIPTION "easd FastCGI socket, pool %i"
  SOCKET_PATH "/run/easd/%i.sock"
  SOCKET_UNIT "easd@NAME.socket")

# /run/easd owned by easd before any unit starts (packaging/tmpfiles/easd.conf says why).
install(FILES packaging/tmpfiles/easd.conf DESTINATION "${EASD_TMPFILES_DIR}")

# The daily housekeeping (README, "Housekeeping"): easctl maintenance and its timer.
install(FILES systemd/easd-maintenance.service systemd/easd-maintenance.timer DESTINATION "${EASD_SYSTEMD_UNIT_DIR}")

install(DIRECTORY "${CMAKE_SOURCE_DIR}/schema/" DESTINATION "${easd_share}/schema" FILES_MATCHING PATTERN "*.sql")
# The config is the package's conffile: dpkg keeps the administrator's edits on upgrade.
install(FILES packaging/easd.conf DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/easd")
# Log rotation (README, "Housekeeping"): easd's log file and the protocol logs.
install(FILES packaging/logrotate/easd DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d")
install(FILES packaging/postfix-sendmail.conf DESTINATION "${easd_share}/systemd")
# The front ends' templates and the tool that renders them (README, "Installing for real", 4).
install(FILES nginx/easd.conf.in nginx/easd-locations.conf.in DESTINATION "${easd_share}/nginx")
install(FILES apache/easd.conf.in DESTINATION "${easd_share}/apache")
install(PROGRAMS scripts/render-config DESTINATION "${easd_share}")
install(FILES README.md docs/ARCHITECTURE.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# Who answers for the package (its Maintainer field and changelog trailer). A site that builds its
# own package puts its own contact here; the default is a placeholder address, not a mailbox.
set(EASD_PACKAGE_MAINTAINER "easd maintainers <maintainers@easd.example.org>" CACHE STRING
  "The .deb's Maintainer: \"Name <address>\"")

# The package's documents, compressed as Debian policy wants them: gzip -9n stores no name or time
# stamp, so two builds of the package hold the same bytes. Built with ALL; scripts/package, which
# builds only what the package holds, names the target (package-docs).
find_program(EASD_GZIP gzip REQUIRED)
set(easd_package_docs "")
function(easd_gzip source compressed)
  get_filename_component(dir "${compressed}" DIRECTORY)
  add_custom_command(OUTPUT "${compressed}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND "${EASD_GZIP}" -9n -c "${source}" > "${compressed}"
    DEPENDS "${source}"
    COMMENT "Compressing ${source}"
    VERBATIM)
  set(easd_package_docs ${easd_package_docs} "${compressed}" PARENT_SCOPE)
endfunction()

# The manual pages (packaging/man/*.8, written by hand).
set(easd_man_pages "")
foreach(page easd.8 easctl.8 easd-deliver.8)
  easd_gzip("${CMAKE_SOURCE_DIR}/packaging/man/${page}" "${CMAKE_BINARY_DIR}/man/${page}.gz")
  list(APPEND easd_man_pages "${CMAKE_BINARY_DIR}/man/${page}.gz")
endforeach()
install(FILES ${easd_man_pages} DESTINATION "${CMAKE_INSTALL_MANDIR}/man8")

# Debian policy 12.5 and 12.7: /usr/share/doc/<package>/copyright and the changelog. easd's version
# numbers have no Debian revision (a native package), so the file is changelog.gz. Its newest entry
# must name the version being built: a forgotten entry stops the configure here rather than
# shipping a package whose changelog names another version.
file(STRINGS packaging/changelog.in easd_changelog_head LIMIT_COUNT 1)
if(NOT easd_changelog_head MATCHES "^easd \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog.in: the newest entry is \"${easd_changelog_head}\"; "
    "add an entry for easd (${PROJECT_VERSION}) first")
endif()
configure_file(packaging/changelog.in "${CMAKE_BINARY_DIR}/packaging/changelog" @ONLY)
easd_gzip("${CMAKE_BINARY_DIR}/packaging/changelog" "${CMAKE_BINARY_DIR}/packaging/changelog.gz")
install(FILES "${CMAKE_BINARY_DIR}/packaging/changelog.gz" packaging/copyright DESTINATION "${CMAKE_INSTALL_DOCDIR}")
add_custom_target(package-docs ALL DEPENDS ${easd_package_docs})

# The Debian package: easd_<version>_<arch>.deb, its library dependencies found by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME easd)
set(CPACK_PACKAGE_VENDOR "the easd project")
set(CPACK_PACKAGE_CONTACT "${EASD_PACKAGE_MAINTAINER}")
# CPack puts the summary first and this below it (the extended description).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Exchange ActiveSync server (FastCGI, PostgreSQL)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "easd serves mail, contacts, calendar, tasks and notes to phones and desktop\nclients over EAS 2.5 to 16.1, as a pool of FastCGI workers behind nginx or\nApache sharing one PostgreSQL database. Ships easd, easctl, easd-deliver, the\nschema, systemd units and the web servers' configuration templates.")
# Debian ships stripped binaries (policy 10.1); the symbols stay in the build tree.
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser for the postinst; the rest is what a site runs beside easd.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql, nginx | apache2, default-mta | mail-transport-agent, logrotate")
set(easd_control "${CMAKE_BINARY_DIR}/packaging")
file(MAKE_DIRECTORY "${easd_control}")
file(WRITE "${easd_control}/conffiles"
  "${CMAKE_INSTALL_FULL_SYSCONFDIR}/easd/easd.conf\n${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d/easd\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_SOURCE_DIR}/packaging/postinst;${CMAKE_SOURCE_DIR}/packaging/prerm;${CMAKE_SOURCE_DIR}/packaging/postrm;${easd_control}/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
